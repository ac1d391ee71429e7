"""The readable audit log: every change in a consortium as a sentence, with its before/after, filtered,
paged and exported as CSV (issue 14). Object names come from marketplace.auditlabels."""
