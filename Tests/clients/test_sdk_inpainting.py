"""The official Python SDK (novita-client 0.7.1) and the cnovita CLI on the native async image
endpoints and the assets host: inpainting as a user calls it, with the SDK's booleans, decoded
and compared with its input outside the mask; instant-id with assets the SDK's own upload code
put on the mock's assets host."""

import pytest
import requests
from novita_client import NovitaClient
from novita_client.proto import V3TaskResponseStatus

import clientkit

INPAINTING_MODEL = "realisticVisionV40_v40VAE-inpainting_81543.safetensors"
SIZE = (128, 96)
BOX = (32, 24, 96, 72)  # the mask's white rectangle: left, top, right, bottom


@pytest.fixture
def picture_and_mask(tmp_path):
    picture, mask = tmp_path / "picture.png", tmp_path / "mask.png"
    picture.write_bytes(clientkit.encode(clientkit.picture(*SIZE)))
    mask.write_bytes(clientkit.encode(clientkit.mask(*SIZE, BOX)))
    return str(picture), str(mask)


def outside_box_unchanged(output, original):
    """Every pixel outside BOX is the original's; most inside differ."""
    output, original = output.convert("RGB"), original.convert("RGB")
    assert output.size == original.size
    left, top, right, bottom = BOX
    changed_inside = 0
    for y in range(original.height):
        for x in range(original.width):
            same = output.getpixel((x, y)) == original.getpixel((x, y))
            if left <= x < right and top <= y < bottom:
                changed_inside += not same
            else:
                assert same, f"pixel {x},{y} outside the mask changed"
    assert changed_inside > (right - left) * (bottom - top) * 0.9


class TestInpainting:
    def test_the_sdks_inpainting_repaints_only_the_mask(self, mock, picture_and_mask):
        sdk = NovitaClient("sdk-key", base_url=mock.url)
        picture, mask = picture_and_mask
        result = sdk.inpainting(model_name=INPAINTING_MODEL, image=picture, mask=mask, prompt="a red balloon",
                                image_num=2, sampler_name="Euler a", steps=20, guidance_scale=7.5, seed=42,
                                mask_blur=6, response_image_type="png")
        assert result.task.status == V3TaskResponseStatus.TASK_STATUS_SUCCEED
        assert result.task.task_type == "INPAINTING"
        assert len(result.images_encoded) == 2
        original = clientkit.picture(*SIZE)
        outputs = [clientkit.decode_b64(data) for data in result.images_encoded]
        for output in outputs:
            assert output.format == "PNG"
            outside_box_unchanged(output, original)
        assert outputs[0].tobytes() != outputs[1].tobytes()

    def test_the_sdks_booleans_are_accepted(self, mock, picture_and_mask):
        """InpaintingRequest types inpainting_full_res and inpainting_mask_invert as bool."""
        sdk = NovitaClient("sdk-key", base_url=mock.url)
        picture, mask = picture_and_mask
        result = sdk.inpainting(model_name=INPAINTING_MODEL, image=picture, mask=mask, prompt="a red balloon",
                                image_num=1, sampler_name="Euler a", steps=20, guidance_scale=7.5, seed=7,
                                inpainting_full_res=True, inpainting_mask_invert=True, response_image_type="png")
        assert result.task.status == V3TaskResponseStatus.TASK_STATUS_SUCCEED
        output = clientkit.decode_b64(result.images_encoded[0]).convert("RGB")
        original = clientkit.picture(*SIZE)
        left, top, right, bottom = BOX
        # Inverted: the white rectangle is kept, the rest repainted.
        for y in range(top, bottom):
            for x in range(left, right):
                assert output.getpixel((x, y)) == original.getpixel((x, y))
        assert output.getpixel((2, 2)) != original.getpixel((2, 2))

    def test_cnovitas_image_inpainting_saves_the_repainted_picture(self, mock, picture_and_mask, tmp_path):
        picture, mask = picture_and_mask
        done = clientkit.run_cnovita(mock.url, ["image", "inpainting", picture, mask, "a red flower", "--seed", "3",
                                                "-o", str(tmp_path / "out")], cwd=tmp_path)
        assert done.returncode == 0, done.stderr or done.stdout
        saved = sorted((tmp_path / "out").glob("novita_inpaint_*.png"))
        assert len(saved) == 1, done.stdout
        outside_box_unchanged(clientkit.decode(saved[0].read_bytes()), clientkit.picture(*SIZE))


class TestInstantID:
    def test_the_sdks_instant_id_with_its_uploads_on_the_mocks_assets_host(self, mock, tmp_path, monkeypatch):
        """upload_assets PUTs to https://assets.novitai.com/image, a host built into the SDK: the
        test sends those same requests (no key, image/jpeg) to the mock's PUT /image instead."""
        real_put = requests.put

        def put_to_mock(url, *args, **kwargs):
            return real_put(url.replace("https://assets.novitai.com", mock.url), *args, **kwargs)

        monkeypatch.setattr(requests, "put", put_to_mock)
        face, reference = tmp_path / "face.png", tmp_path / "reference.png"
        face.write_bytes(clientkit.encode(clientkit.picture(80, 100)))
        reference.write_bytes(clientkit.encode(clientkit.solid(160, 120, (30, 90, 160))))
        sdk = NovitaClient("sdk-key", base_url=mock.url)
        result = sdk.instant_id(face_images=[str(face)], ref_images=[str(reference)],
                                model_name="sdxlUnstableDiffusers_v8HEAVENSWRATH_133813.safetensors",
                                prompt="a portrait in a blue room", width=256, height=192,
                                response_image_type="png")
        assert result.task.status == V3TaskResponseStatus.TASK_STATUS_SUCCEED
        assert result.task.task_type == "INSTANT_ID"
        output = clientkit.decode_b64(result.images_encoded[0])
        assert (output.size, output.format) == ((256, 192), "PNG")

    def test_an_assets_id_the_host_never_answered_is_refused_by_name(self, mock):
        response = requests.post(f"{mock.url}/v3/async/instant-id", headers={"Authorization": "Bearer sdk-key"},
                                 json={"model_name": "m", "face_image_assets_ids": ["0123abcd"],
                                       "ref_image_assets_ids": ["0123abcd"], "prompt": "p", "width": 256,
                                       "height": 256, "image_num": 1, "steps": 20, "guidance_scale": 5,
                                       "sampler_name": "Euler"})
        assert response.status_code == 400
        body = response.json()
        assert body["reason"] == "INVALID_REQUEST_BODY"
        assert body["metadata"]["path"] == "face_image_assets_ids[0]"


class TestRawInpainting:
    def test_raw_inpainting_with_the_request_types_defaults(self, mock):
        """InpaintingRequest's own defaults: clip_skip 0, sd_vae "", inpainting_full_res False …"""
        from novita_client.proto import CommonV3Extra, InpaintingRequest

        sdk = NovitaClient("sdk-key", base_url=mock.url)
        request = InpaintingRequest(model_name=INPAINTING_MODEL, image_base64=clientkit.b64(clientkit.picture(*SIZE)),
                                    mask_image_base64=clientkit.b64(clientkit.mask(*SIZE, BOX)), prompt="a red flower",
                                    image_num=1, steps=20, guidance_scale=7.5, seed=5, sampler_name="Euler a")
        submitted = sdk.raw_inpainting(request, CommonV3Extra(response_image_type="png"))
        result = sdk.wait_for_task_v3(submitted.task_id)
        assert result.task.status == V3TaskResponseStatus.TASK_STATUS_SUCCEED
        result.download_images()
        outside_box_unchanged(clientkit.decode_b64(result.images_encoded[0]), clientkit.picture(*SIZE))
