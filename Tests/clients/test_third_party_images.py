"""The third-party image models over real HTTP with requests, as a user of the docs calls them
(no SDK wraps any of them): an image one model made is handed by URL to the editors, which
fetch it through the mock's outbound client and show it in their output."""

import requests
from PIL import ImageStat

import clientkit

HEADERS = {"Authorization": "Bearer third-party-key", "Content-Type": "application/json"}


def post(mock, path, body):
    response = requests.post(f"{mock.url}{path}", headers=HEADERS, json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def fetch(url):
    response = requests.get(url, timeout=60)
    assert response.status_code == 200, url
    return clientkit.decode(response.content)


def task_image(mock, task_id):
    result = requests.get(f"{mock.url}/v3/async/task-result", params={"task_id": task_id},
                          headers=HEADERS, timeout=60).json()
    assert result["task"]["status"] == "TASK_STATUS_SUCCEED", result["task"]
    return fetch(result["images"][0]["image_url"])


def mean_colour(image, box):
    return tuple(int(channel) for channel in ImageStat.Stat(image.convert("RGB").crop(box)).mean)


def schnell_image_url(mock):
    """The URL of a 512x512 FLUX.1 schnell image (answered inline)."""
    answer = post(mock, "/v3beta/flux-1-schnell", {
        "prompt": "a red fox in fresh snow", "width": 512, "height": 512, "seed": 2024, "steps": 4,
        "image_num": 1, "response_image_format": "png"})
    assert answer["images"][0]["image_url_ttl"] == 604800
    return answer["images"][0]["image_url"]


def test_an_image_made_by_one_model_is_fetched_by_url_and_edited_by_another(mock):
    url = schnell_image_url(mock)
    original = fetch(url)
    assert original.size == (512, 512)
    edited = task_image(mock, post(mock, "/v3/async/flux-1-kontext-dev", {
        "prompt": "make it autumn", "images": [url], "size": "768*512", "seed": 1})["task_id"])
    assert edited.size == (768, 512)
    # The input shows through the pattern: the edit is nearer the input than a txt2img of the
    # same seed and size is.
    plain = task_image(mock, post(mock, "/v3/async/flux-1-kontext-dev", {
        "prompt": "make it autumn", "size": "768*512", "seed": 1})["task_id"])
    stretched = original.resize((768, 512))
    def distance(a, b):
        return sum(abs(x - y) for x, y in zip(mean_colour(a, (0, 0, 768, 400)), mean_colour(b, (0, 0, 768, 400))))
    assert distance(edited, stretched) < distance(plain, stretched)


def test_seedream_takes_a_data_url_and_answers_url_strings(mock):
    red = "data:image/png;base64," + clientkit.b64(clientkit.solid(300, 200, (255, 0, 0)))
    answer = post(mock, "/v3/seedream-4.0", {"prompt": "stained glass", "images": [red], "size": "1K"})
    (url,) = answer["images"]
    image = fetch(url)
    assert image.size == (1024, 1024)
    r, g, b = mean_colour(image, (0, 0, 1024, 600))
    assert r > g + 40 and r > b + 40


def test_a_sync_editor_given_an_unreachable_url_answers_400_naming_it(mock):
    response = requests.post(f"{mock.url}/v3/seedream-4.5", headers=HEADERS, timeout=60, json={
        "prompt": "x", "image": ["http://127.0.0.1:1/nothing.png"]})
    assert response.status_code == 400
    body = response.json()
    assert body["reason"] == "INVALID_REQUEST_BODY"
    assert "failed to fetch http://127.0.0.1:1/nothing.png" in body["message"]
