"""The account as the official clients read it (docs/contract.md §13.3): the Python SDK's
user_info() and `cnovita account balance`, against a mock whose tenants start at $12.50, with
charges and BILLING_BALANCE_NOT_ENOUGH seen through the SDK unmodified."""

import json
import urllib.request

import pytest
from novita_client import NovitaClient
from novita_client.exceptions import NovitaResponseError

import clientkit


@pytest.fixture(scope="module")
def billed_mock():
    server = clientkit.MockServer("--speed", "0", "--credit-balance", "12.5").start()
    yield server
    server.stop()


def set_balance(mock, key, body):
    request = urllib.request.Request(
        f"{mock.url}/__mock/tenants/{key}/balance", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_user_info_reads_the_starting_balance(billed_mock):
    info = NovitaClient("account-fresh", base_url=billed_mock.url).user_info()
    assert info.credit_balance == 125_000
    assert isinstance(info.credit_balance, int)
    assert info.allow_features == []
    assert info.free_trial == {}


def test_a_txt2img_call_is_charged_its_price_per_image(billed_mock):
    client = NovitaClient("account-charged", base_url=billed_mock.url)
    before = client.user_info().credit_balance
    client.txt2img_v3(model_name="sd_xl_base_1.0.safetensors", prompt="a lighthouse", width=512, height=512,
                      image_num=2, download_images=False)
    assert client.user_info().credit_balance == before - 2 * 15


def test_an_empty_balance_refuses_with_the_documented_reason_and_another_key_keeps_working(billed_mock):
    set_balance(billed_mock, "account-broke", {"credit_balance": 0})
    broke = NovitaClient("account-broke", base_url=billed_mock.url)
    with pytest.raises(NovitaResponseError) as refused:
        broke.txt2img_v3(model_name="sd_xl_base_1.0.safetensors", prompt="a lighthouse", width=512, height=512,
                         image_num=1, download_images=False)
    assert "BILLING_BALANCE_NOT_ENOUGH" in str(refused.value)
    assert broke.user_info().credit_balance == 0
    other = NovitaClient("account-other", base_url=billed_mock.url)
    assert "SUCCEED" in str(other.txt2img_v3(model_name="sd_xl_base_1.0.safetensors", prompt="a lighthouse", width=512,
                            height=512, image_num=1, download_images=False).task.status)


def test_cnovita_account_balance_prints_dollars(billed_mock, tmp_path):
    set_balance(billed_mock, "account-cli", {"balance_usd": 49.7975})
    done = clientkit.run_cnovita(billed_mock.url, ["account", "balance"], cwd=tmp_path, api_key="account-cli")
    assert done.returncode == 0, done.stderr or done.stdout
    assert "Credit Balance: $49.7975" in done.stdout
    done = clientkit.run_cnovita(billed_mock.url, ["--json-output", "account", "balance"], cwd=tmp_path,
                                 api_key="account-cli")
    assert done.returncode == 0, done.stderr or done.stdout
    assert json.loads(done.stdout)["credit_balance"] == 497_975
