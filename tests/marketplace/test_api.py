"""The JSON API kernel: bearer tokens, the error format, and a complete, valid OpenAPI document."""

from openapi_spec_validator import validate

from marketplace.api import registered_api_rules


def test_openapi_document_is_valid_and_lists_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    with app.app_context():
        registered = registered_api_rules()
    assert registered, "no API routes registered"
    missing = registered - documented
    assert not missing, f"API routes missing from the OpenAPI document: {sorted(missing)}"
    assert not documented - registered, "documented routes that do not exist"


def test_me_answers_with_user_organization_role_and_consortium(client, api_token):
    body = client.get("/api/v1/me", headers=api_token("approver@tempe.example")).get_json()
    assert body["email"] == "approver@tempe.example" and body["role"] == "approver"
    assert body["organization"]["name"] == "Tempe" and body["organization"]["approval_limit"] == "100000.00"
    assert body["consortium"]["slug"] == "gpsr"


def test_vendor_in_two_consortia_picks_one_with_a_header(client, api_token):
    headers = api_token("vendor@brightstreet.example")
    assert client.get("/api/v1/me", headers=headers).get_json()["consortium"]["slug"] == "gpsr"
    frca = client.get("/api/v1/me", headers={**headers, "X-Consortium": "frca"}).get_json()
    assert frca["consortium"]["slug"] == "frca"
    names = {o["name"] for o in client.get("/api/v1/organizations", headers={**headers, "X-Consortium": "frca"})
             .get_json()["results"]}
    assert names == {"Boulder", "Fort Collins", "BrightStreet Lighting", "Front Range Cities Alliance Office"}


def test_organizations_are_those_of_the_consortium_only(client, api_token):
    results = client.get("/api/v1/organizations", headers=api_token("buyer@mesa.example")).get_json()["results"]
    names = {o["name"] for o in results}
    assert {"Mesa", "Tempe", "Chandler", "Scottsdale", "ParkSense"} <= names
    assert "Boulder" not in names
    # buyers see their own approval limit, not other members'
    limits = {o["name"]: o.get("approval_limit") for o in results}
    assert limits["Mesa"] == "250000.00" and limits["Tempe"] is None


def test_front_range_user_cannot_list_greater_phoenix(client, api_token):
    response = client.get("/api/v1/organizations", headers={**api_token("buyer@boulder.example"),
                                                            "X-Consortium": "gpsr"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_errors_have_the_documented_shape(client):
    for headers in ({}, {"Authorization": "Bearer am_nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        error = response.get_json()["error"]
        assert set(error) == {"code", "message"} and error["code"] == "unauthorized"
    unknown = client.get("/api/v1/me", headers={"X-Consortium": "nowhere"})
    assert unknown.status_code == 404


def test_body_validation_reports_fields(app):
    from marketplace.api import MONEY, validate_body

    schema = {"type": "object", "required": ["price"], "additionalProperties": False,
              "properties": {"price": MONEY, "items": {"type": "array", "items": {"type": "object",
                             "required": ["qty"], "properties": {"qty": {"type": "integer"}}}}}}
    fields = validate_body(schema, {"price": "1.234", "items": [{"qty": "x"}, {}], "extra": 1})
    assert "at most two decimals" in fields["price"]
    assert fields["items.0.qty"] == "Must be of type integer."
    assert fields["items.1.qty"] == "This field is required."
    assert fields["extra"] == "This field is not allowed."
