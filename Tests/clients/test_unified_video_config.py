"""GET /v3/admin/video-unify-api/config, read as Novita's unified-video page reads it (novita-api-surface
#95): every `json_schema` is a JSON Schema string that the `jsonschema` library accepts as a
schema, the model's documented example body validates against it, and a body its endpoint
refuses (a value outside an enum) does not."""

import json

import pytest
import requests

jsonschema = pytest.importorskip("jsonschema")


def configs(mock):
    reply = requests.get(f"{mock.url}/v3/admin/video-unify-api/config",
                         headers={"Authorization": "Bearer config-key"}, timeout=30)
    assert reply.status_code == 200
    return reply.json()["configs"]


def endpoint_examples(mock):
    """Each definition's documented example, by path (GET /__mock/endpoints)."""
    reply = requests.get(f"{mock.url}/__mock/endpoints", timeout=30)
    reply.raise_for_status()
    return {d["path"]: d for d in reply.json()["endpoints"]}


def test_every_schema_is_valid_and_the_documented_example_satisfies_it(mock):
    entries = configs(mock)
    assert len(entries) > 50
    definitions = endpoint_examples(mock)
    unified = definitions["/v3/video/create"]
    models = unified["models"]
    assert sorted(e["model"] for e in entries) == sorted(models)
    for entry in entries:
        schema = json.loads(entry["json_schema"])
        jsonschema.Draft202012Validator.check_schema(schema)
        target = definitions[models[entry["model"]]]
        example = dict(target["example"])
        example.pop("extra", None)
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(example))
        assert not errors, f"{entry['model']}: {errors[0].message}"


def test_a_value_outside_an_enum_is_refused(mock):
    entry = next(e for e in configs(mock) if e["model"] == "kling-v2.1-t2v-master")
    validator = jsonschema.Draft202012Validator(json.loads(entry["json_schema"]))
    assert validator.is_valid({"prompt": "a fox", "duration": "5"})
    assert not validator.is_valid({"prompt": "a fox", "duration": "7"})
    assert not validator.is_valid({"duration": "5"})
