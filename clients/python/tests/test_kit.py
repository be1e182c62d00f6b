"""The kit against a real novita-mock, driven by the official SDK (novita-client): what a user's
test suite does with the `novita_mock` fixture."""

import pytest
from novita_client import Txt2ImgV3Request
from novita_client.exceptions import NovitaResponseError

from novita_mock_testing import MockError

SDXL = "sd_xl_base_1.0.safetensors"


def submit(client, prompt="a lighthouse"):
    return client.raw_txt2img_v3(Txt2ImgV3Request(model_name=SDXL, prompt=prompt, width=256, height=256)).task_id


def test_the_sdk_generates_through_the_fixture(novita_mock):
    result = novita_mock.client().txt2img_v3(model_name=SDXL, prompt="a harbour", image_num=1, width=256, height=256)
    assert len(result.images) == 1
    entries = novita_mock.journal(path="/v3/async/txt2img")
    assert [entry["status"] for entry in entries] == [200]
    assert entries[0]["test_id"] == novita_mock.test_id


def test_each_test_has_its_own_tenant_and_journal(novita_mock, novita_mock_server, request):
    other = novita_mock_server.handle(test_id="another-test")
    submit(other.client())
    assert novita_mock.api_key != other.api_key
    assert novita_mock.journal() == []
    assert novita_mock.tasks()["tasks"] == []
    assert len(other.journal(path="/v3/async/txt2img")) == 1
    other.reset()
    assert other.journal() == []


def test_a_fault_applies_to_this_test_only_and_goes_with_it(novita_mock, novita_mock_server):
    novita_mock.add_fault("/v3/async/txt2img", status=503, times=1)
    with pytest.raises(NovitaResponseError):
        submit(novita_mock.client())
    bystander = novita_mock_server.handle(test_id="bystander")
    submit(bystander.client())  # not this test: no fault
    novita_mock.add_fault("/v3/async/txt2img", status=500)
    novita_mock.cleanup()
    assert novita_mock.faults()["faults"] == []
    submit(novita_mock.client())


@pytest.mark.novita_mock_args("--clock", "virtual", "--speed", "1")
def test_virtual_time_moves_only_when_advanced_and_a_task_can_be_forced(novita_mock_fresh):
    client = novita_mock_fresh.client()
    task_id = submit(client)
    assert client.async_task_result(task_id).task.status.value != "TASK_STATUS_SUCCEED"
    novita_mock_fresh.advance(seconds=600)
    assert client.async_task_result(task_id).task.status.value == "TASK_STATUS_SUCCEED"

    failing = submit(client, "a storm")
    novita_mock_fresh.fail(failing, reason="CUDA out of memory")
    result = client.async_task_result(failing)
    assert result.task.status.value == "TASK_STATUS_FAILED"
    assert "CUDA out of memory" in result.task.reason
    with pytest.raises(MockError, match="409"):
        novita_mock_fresh.complete(failing)


def test_set_balance_reaches_the_tenant_endpoint(novita_mock):
    try:
        novita_mock.set_balance(usd=0.5)
    except MockError as error:
        if " 404" in str(error):
            pytest.skip("this novita-mock has no POST /__mock/tenants/{key}/balance yet")
        raise
    assert novita_mock.request("GET", "/v3/user", headers=novita_mock.headers)["credit_balance"] == 5000
