"""The upload form of a document section (pages): a title and a file; the rules are the service's."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField

from marketplace.documents.models import TITLE_MAX
from marketplace.documents.sniffing import ALLOWED

PREFIX = "document"


class DocumentForm(FlaskForm):
    title = StringField("Title", render_kw={"maxlength": TITLE_MAX},
                        description="The same title as an earlier document adds a new version of it; the earlier "
                                    "versions stay listed.")
    file = FileField("File", description=f"A {ALLOWED} file. Its type is read from its content, not its name.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", PREFIX)
        super().__init__(*args, **kwargs)
