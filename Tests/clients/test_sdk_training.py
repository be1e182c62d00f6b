"""Training through the official Python SDK 0.7.1, unmodified (docs/contract.md §13.2): it asks
for dataset upload URLs, PUTs JPEGs to them with `requests`, starts subject and style trainings,
polls and lists them, and uses the trained LoRA by name in txt2img — against a mock with
--speed 0 (trainings finish and deploy at once) and --strict-models (an unknown LoRA is a 400)."""

import pytest
from novita_client import NovitaClient, Txt2ImgV3LoRA
from novita_client.exceptions import NovitaResponseError

import clientkit

CHECKPOINT = "dreamshaper_8_93211.safetensors"


@pytest.fixture(scope="module")
def training_mock():
    server = clientkit.MockServer("--speed", "0", "--strict-models").start()
    yield server
    server.stop()


@pytest.fixture
def images():
    return [clientkit.picture(96, 96), clientkit.picture(128, 96)]


def test_upload_training_assets_gives_one_id_per_image(training_mock, images):
    ids = NovitaClient("train-upload", base_url=training_mock.url).upload_training_assets(images)
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(isinstance(i, str) and i.isdigit() for i in ids)


def test_a_subject_training_finishes_and_its_lora_is_usable_in_txt2img(training_mock, images):
    client = NovitaClient("train-subject", base_url=training_mock.url)
    task_id = client.create_training_subject(
        name="my-face", base_model="dreamshaper_8_93211", images=images,
        instance_prompt="a photo of sks person", class_prompt="person")
    status = client.query_training_subject_status(task_id)
    assert status.task_id == task_id
    assert status.task_status == "SUCCESS"
    assert status.model_type == "lora"
    assert len(status.models) == 1 and status.models[0].model_status == "SERVING"
    lora = status.models[0].model_name.removesuffix(".safetensors")

    result = client.txt2img_v3(model_name=CHECKPOINT, prompt="sks person on a beach", width=256, height=256,
                               image_num=1, loras=[Txt2ImgV3LoRA(model_name=lora, strength=0.8)])
    assert "SUCCEED" in str(result.task.status)
    assert len(result.images_encoded) == 1

    # Another key has no such LoRA.
    with pytest.raises(NovitaResponseError):
        NovitaClient("train-other", base_url=training_mock.url).txt2img_v3(
            model_name=CHECKPOINT, prompt="x", width=256, height=256, image_num=1,
            loras=[Txt2ImgV3LoRA(model_name=lora, strength=0.8)], download_images=False)

    # The SDK's catalog read (public and private pages) lists it as a private LoRA.
    trained = [m for m in client.models_v3(refresh=True) if m.sd_name_in_api == lora]
    assert len(trained) == 1 and trained[0].visibility == "private" and trained[0].source == "training"


def test_a_style_training_and_the_list(training_mock, images):
    client = NovitaClient("train-style", base_url=training_mock.url)
    style_id = client.create_training_style(
        name="my-style", base_model="v1-5-pruned-emaonly", images=images,
        captions=["a watercolour landscape", "a watercolour city"])
    subject_id = client.create_training_subject(
        name="my-face", base_model="dreamshaper_8_93211", images=images[:1],
        instance_prompt="a photo of sks person", class_prompt="person")
    trainings = client.list_training()
    assert {t.task_id for t in trainings} == {style_id, subject_id}
    assert trainings.get_by_task_name("my-style").task_type == "style"
    assert [t.task_id for t in client.list_training(task_type="style")] == [style_id]
    assert all(t.task_status == "SUCCESS" for t in trainings)
    assert len(trainings.filter_by_model_status("SERVING")) == 2
