"""The cnovita CLI (PyPI cnovita 0.3.0) against the mock, run in its own process as a user runs
it, through cnovita_at.py (which only sets the CLI's base-URL constant). Each command writes the
files a user would find; the tests open them."""

import json
import re

import pytest

import clientkit

PICTURE_SIZE = (256, 192)


@pytest.fixture
def cli(mock, tmp_path):
    """Runs one cnovita command in a fresh directory and hands back (process, directory)."""
    def run(*arguments):
        done = clientkit.run_cnovita(mock.url, list(arguments), cwd=tmp_path)
        assert done.returncode == 0, f"cnovita {' '.join(arguments)} failed: {done.stderr or done.stdout}"
        return done
    run.directory = tmp_path
    return run


@pytest.fixture
def picture_file(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(clientkit.encode(clientkit.picture(*PICTURE_SIZE)))
    return str(path)


@pytest.fixture
def mask_file(tmp_path):
    path = tmp_path / "mask.png"
    path.write_bytes(clientkit.encode(clientkit.mask(*PICTURE_SIZE, (96, 64, 160, 128))))
    return str(path)


def only_file(directory, pattern):
    files = sorted(directory.glob(pattern))
    assert len(files) == 1, f"expected one {pattern} in {sorted(p.name for p in directory.iterdir())}"
    return files[0]


def open_saved(path):
    """The saved image, and that its bytes are the format its extension says."""
    image = clientkit.decode(path.read_bytes())
    extension = path.suffix.lstrip(".")
    assert image.format == clientkit.PILLOW_FORMAT[extension]
    return image


class TestGeneration:
    def test_image_generate_saves_images_of_the_requested_size_and_format(self, cli):
        cli("image", "generate", "a lighthouse", "-W", "512", "-H", "384", "-n", "2", "--format", "webp")
        files = sorted(cli.directory.glob("novita_img_*"))
        assert [path.suffix for path in files] == [".webp", ".webp"]
        assert {open_saved(path).size for path in files} == {(512, 384)}

    def test_image_img2img_saves_an_image_of_the_requested_size(self, cli, picture_file):
        cli("image", "img2img", picture_file, "a watercolour", "-W", "384", "-H", "512")
        assert open_saved(only_file(cli.directory, "novita_i2i_*")).size == (384, 512)

    def test_image_upscale_saves_the_input_scaled(self, cli, picture_file):
        cli("image", "upscale", picture_file, "--scale", "2")
        assert open_saved(only_file(cli.directory, "novita_upscale_*")).size == (512, 384)

    def test_task_status_and_task_wait_read_a_submitted_task(self, cli):
        submitted = cli("image", "generate", "a harbour", "-W", "256", "-H", "256", "--no-wait")
        task_id = re.search(r"Task ID: (\S+)", submitted.stdout).group(1)
        status = cli("task", "status", task_id)
        assert "Status:   TASK_STATUS_SUCCEED" in status.stdout
        assert "Type:     TXT_TO_IMG" in status.stdout
        cli("task", "wait", task_id)
        assert open_saved(only_file(cli.directory, f"task_{task_id[:8]}_0.*")).size == (256, 256)


# --- FLUX.1 schnell: synchronous, its image URLs inline (issue #18) ---------------------------


class TestFlux:
    def test_image_flux_saves_each_image_of_the_requested_size(self, cli):
        saved = cli("image", "flux", "a paper lantern", "-W", "320", "-H", "192", "-n", "2", "--seed", "7")
        files = sorted(cli.directory.glob("novita_flux_*"))
        assert [path.name for path in files] == ["novita_flux_0.png", "novita_flux_1.png"], saved.stdout
        images = [open_saved(path) for path in files]
        assert {image.size for image in images} == {(320, 192)}
        # Two seeds, two different pictures.
        assert images[0].tobytes() != images[1].tobytes()

    def test_image_flux_json_prints_the_documented_inline_shape(self, cli):
        printed = cli("--json-output", "image", "flux", "red circle", "-W", "64", "-H", "64", "--steps", "1")
        answer = json.loads(printed.stdout)
        assert answer["task"]["task_id"]
        (image,) = answer["images"]
        assert image["image_url"].startswith("http") and image["image_type"] == "png"
        assert image["image_url_ttl"] == 604800

    def test_image_flux_with_a_width_out_of_range_fails_naming_the_field(self, mock, tmp_path):
        done = clientkit.run_cnovita(mock.url, ["image", "flux", "x", "-W", "4096"], cwd=tmp_path)
        assert done.returncode != 0
        assert "width" in (done.stdout + done.stderr)


# --- The synchronous editors of issue #16 (replace-bg is the CLI's async variant) -------------


@pytest.mark.editors
class TestEditors:
    """cnovita sends no `extra` for most editors, so the docs' default png applies; it names the
    file .png whatever came back, which open_saved checks."""

    def test_remove_bg_saves_a_transparent_png_of_the_input_size(self, cli, picture_file):
        cli("image", "remove-bg", picture_file, "-o", "nobg.png")
        image = open_saved(cli.directory / "nobg.png")
        assert image.size == PICTURE_SIZE
        assert image.convert("RGBA").getchannel("A").getextrema()[0] == 0

    def test_remove_bg_saves_the_requested_format(self, cli, picture_file):
        cli("image", "remove-bg", picture_file, "--format", "webp", "-o", "nobg.webp")
        assert open_saved(cli.directory / "nobg.webp").size == PICTURE_SIZE

    def test_replace_bg_goes_through_the_async_api_and_saves_the_input_size(self, cli, picture_file):
        done = cli("image", "replace-bg", picture_file, "a beach sunset", "-o", "replaced.png")
        assert "Task submitted:" in done.stdout
        assert clientkit.decode((cli.directory / "replaced.png").read_bytes()).size == PICTURE_SIZE

    def test_cleanup_saves_a_png_of_the_input_size(self, cli, picture_file, mask_file):
        cli("image", "cleanup", picture_file, mask_file, "-o", "cleaned.png")
        assert open_saved(cli.directory / "cleaned.png").size == PICTURE_SIZE

    def test_remove_text_saves_a_png_of_the_input_size(self, cli, picture_file):
        cli("image", "remove-text", picture_file, "-o", "notext.png")
        assert open_saved(cli.directory / "notext.png").size == PICTURE_SIZE

    def test_reimagine_saves_a_png_of_the_input_size(self, cli, picture_file):
        cli("image", "reimagine", picture_file, "-o", "reimagined.png")
        assert open_saved(cli.directory / "reimagined.png").size == PICTURE_SIZE

    def test_merge_face_saves_a_png_of_the_target_size(self, cli, tmp_path, picture_file):
        face = tmp_path / "face.png"
        face.write_bytes(clientkit.encode(clientkit.picture(128, 128)))
        cli("image", "merge-face", str(face), picture_file, "-o", "merged.png")
        assert open_saved(cli.directory / "merged.png").size == PICTURE_SIZE

    def test_outpainting_saves_the_requested_canvas(self, cli, picture_file):
        cli("image", "outpainting", picture_file, "a forest", "-W", "512", "-H", "384",
            "--center-x", "0", "--center-y", "0", "-o", "outpainted.png")
        assert open_saved(cli.directory / "outpainted.png").size == (512, 384)

    def test_outpainting_with_the_cli_defaults_saves_a_1024_canvas(self, cli, picture_file):
        # cnovita's defaults: -W 1024 -H 1024 --center-x 512 --center-y 512.
        cli("image", "outpainting", picture_file, "a forest", "-o", "outpainted.png")
        assert open_saved(cli.directory / "outpainted.png").size == (1024, 1024)

    def test_to_prompt_prints_a_description(self, cli, picture_file):
        done = cli("image", "to-prompt", picture_file)
        assert done.stdout.strip()


def probe_saved_video(path):
    stream = clientkit.probe_video(path.read_bytes(), path.suffix)
    if stream is None:
        pytest.skip("ffprobe not on PATH: install Debian's ffmpeg (scripts/install-test-tools does)")
    return stream


class TestVideo:
    def test_video_generate_saves_an_h264_mp4_of_the_asked_size_and_frames(self, cli):
        cli("video", "generate", "a girl walking in snow", "-W", "320", "-H", "256", "--frames", "16")
        stream = probe_saved_video(only_file(cli.directory, "novita_video_*.mp4"))
        # One prompt of 16 frames at txt2video's 8 fps: two seconds.
        assert (stream["codec_name"], stream["pix_fmt"]) == ("h264", "yuv420p")
        assert (stream["width"], stream["height"], stream["r_frame_rate"]) == (320, 256, "8/1")
        assert (stream["nb_read_frames"], float(stream["duration"])) == ("16", 2.0)

    def test_video_from_image_crops_a_landscape_picture_to_svds_1024_by_576(self, cli, picture_file):
        cli("video", "from-image", picture_file, "--frames", "4")
        stream = probe_saved_video(only_file(cli.directory, "novita_i2v_*.mp4"))
        assert (stream["width"], stream["height"], stream["r_frame_rate"]) == (1024, 576, "6/1")
        assert stream["nb_read_frames"] == "4"

    def test_video_hunyuan_saves_a_720p_clip_at_24_fps(self, cli):
        cli("video", "hunyuan", "a cat playing piano", "--frames", "6")
        stream = probe_saved_video(only_file(cli.directory, "novita_hunyuan_*.mp4"))
        assert (stream["width"], stream["height"], stream["r_frame_rate"]) == (1280, 720, "24/1")
        assert (stream["nb_read_frames"], float(stream["duration"])) == ("6", 0.25)
