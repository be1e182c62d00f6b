"""The docs' own example requests, sent as the docs send them (curl, or requests for the same
body), for the endpoints no SDK of today wraps: POST /v3/outpainting (novita-api-surface.md §4.A
#8; the Python SDK dropped it after 0.6.1, the JS SDK after 2.0.0)."""

import json
import subprocess

import pytest
import requests

import clientkit

INPUT_SIZE = (256, 256)


def documented_outpainting_body(image, width, height, center_x, center_y, image_type):
    return {
        "extra": {"response_image_type": image_type, "enterprise_plan": {"enabled": False}},
        "image_file": clientkit.b64(image),
        "prompt": "a forest clearing, morning light",
        "negative_prompt": "blurry",
        "width": width,
        "height": height,
        "center_x": center_x,
        "center_y": center_y,
    }


def assert_input_centred(canvas, original):
    """With center_x = center_y = 0 the input's centre sits on the canvas's centre: a pixel of
    the input's dark middle square and one of its gradient corner land where they belong."""
    width, height = canvas.size
    left, top = (width - original.width) // 2, (height - original.height) // 2
    canvas_pixels, original_pixels = canvas.convert("RGB").load(), original.load()
    for x, y in [(original.width // 2, original.height // 2), (10, 10)]:
        assert canvas_pixels[left + x, top + y] == original_pixels[x, y]


@pytest.mark.editors
class TestOutpainting:
    def test_requests_with_the_documented_body_gets_the_canvas_with_the_input_centred(self, mock):
        original = clientkit.picture(*INPUT_SIZE)
        response = requests.post(
            f"{mock.url}/v3/outpainting",
            headers={"Authorization": "Bearer docs-key", "Content-Type": "application/json"},
            json=documented_outpainting_body(original, 512, 384, 0, 0, "png"), timeout=60)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["image_type"] == "png"
        canvas = clientkit.decode_b64(answer["image_file"])
        assert (canvas.size, canvas.format) == ((512, 384), "PNG")
        assert_input_centred(canvas, original)

    @pytest.mark.parametrize("image_type", ["jpeg", "webp"])
    def test_curl_with_the_documented_body_gets_the_requested_canvas_and_type(self, mock, tmp_path, image_type):
        body = tmp_path / "body.json"
        body.write_text(json.dumps(
            documented_outpainting_body(clientkit.picture(*INPUT_SIZE), 640, 320, 32, -16, image_type)))
        done = subprocess.run(
            ["curl", "-sS", "--fail-with-body", "--location", "--request", "POST", f"{mock.url}/v3/outpainting",
             "--header", "Authorization: Bearer docs-key", "--header", "Content-Type: application/json",
             "--data-binary", f"@{body}"],
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        answer = json.loads(done.stdout)
        assert answer["image_type"] == image_type
        canvas = clientkit.decode_b64(answer["image_file"])
        assert (canvas.size, canvas.format) == ((640, 320), clientkit.PILLOW_FORMAT[image_type])
