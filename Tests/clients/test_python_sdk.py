"""The official Python SDK (novita-client 0.7.1) against the mock: what a user of each method
gets back, decoded. The SDK's client default response_image_type is "jpeg" (its
`_default_response_image_type`, and CommonV3Extra's default for txt2img/img2img); its raw_*
methods send `"extra": null`, which gets the docs' default, png."""

import pytest
from novita_client import NovitaClient
from novita_client.proto import Img2VideoResizeMode, Txt2ImgV3Request, Txt2VideoPrompt, V3TaskResponseStatus

import clientkit

SDXL = "sd_xl_base_1.0.safetensors"
STATUS_ORDER = ["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED"]


def assert_images(encoded, count, size, pillow_format):
    assert len(encoded) == count
    for data in encoded:
        image = clientkit.decode_b64(data)
        assert (image.size, image.format) == (size, pillow_format)


def assert_sync_image(result, size, image_type):
    """A sync editor's {image_file, image_type}: the type it says, the bytes it is, the size."""
    assert result.image_type == image_type
    image = clientkit.decode_b64(result.image_file)
    assert (image.size, image.format) == (size, clientkit.PILLOW_FORMAT[image_type])
    return image


class TestGeneration:
    def test_txt2img_returns_the_requested_size_and_format(self, sdk):
        result = sdk.txt2img_v3(model_name=SDXL, prompt="a lighthouse at dusk", image_num=1, width=512,
                                height=384, steps=20, guidance_scale=7.5, sampler_name="Euler a",
                                response_image_type="png")
        assert result.task.status == V3TaskResponseStatus.TASK_STATUS_SUCCEED
        assert [image.image_type for image in result.images] == ["png"]
        assert_images(result.images_encoded, 1, (512, 384), "PNG")

    def test_txt2img_without_an_image_type_gets_the_sdk_default_jpeg(self, sdk):
        result = sdk.txt2img_v3(model_name=SDXL, prompt="a lighthouse", image_num=1, width=256, height=256)
        assert [image.image_type for image in result.images] == ["jpeg"]
        assert_images(result.images_encoded, 1, (256, 256), "JPEG")

    def test_img2img_returns_every_image_at_the_requested_size_and_format(self, sdk):
        result = sdk.img2img_v3(model_name=SDXL, input_image=clientkit.picture(200, 150), prompt="a watercolour",
                                image_num=2, width=512, height=512, steps=20, guidance_scale=7.5,
                                sampler_name="Euler a", strength=0.5, response_image_type="webp")
        assert [image.image_type for image in result.images] == ["webp", "webp"]
        assert_images(result.images_encoded, 2, (512, 512), "WEBP")

    def test_a_raw_submit_reads_back_through_async_task_result(self, sdk):
        submitted = sdk.raw_txt2img_v3(Txt2ImgV3Request(model_name=SDXL, prompt="a harbour", width=384, height=256))
        result = sdk.async_task_result(submitted.task_id)
        assert result.task.task_id == submitted.task_id
        assert result.task.task_type == "TXT_TO_IMG"
        assert result.task.status == V3TaskResponseStatus.TASK_STATUS_SUCCEED
        result.download_images()
        # raw_* sends "extra": null, so the docs' default png applies, not the SDK's jpeg.
        assert_images(result.images_encoded, 1, (384, 256), "PNG")


def probe_video(data, suffix):
    stream = clientkit.probe_video(data, suffix)
    if stream is None:
        pytest.skip("ffprobe not on PATH: install Debian's ffmpeg (scripts/install-test-tools does)")
    return stream


class TestVideo:
    PROMPTS = [Txt2VideoPrompt(prompt="a red fox in the snow", frames=8),
               Txt2VideoPrompt(prompt="a blue whale at dusk", frames=8)]

    def test_txt2video_downloads_an_h264_mp4_of_the_asked_size_rate_and_length(self, sdk):
        result = sdk.txt2video(model_name="darkSushiMixMix_225D_64380.safetensors", height=256, width=320, steps=20,
                               prompts=self.PROMPTS, guidance_scale=7.5, seed=7)
        assert result.task.status == V3TaskResponseStatus.TASK_STATUS_SUCCEED
        assert result.task.task_type == "TXT_TO_VIDEO"
        assert result.task.progress_percent == 100
        assert result.images == [] and [video.video_type for video in result.videos] == ["mp4"]
        assert "/faas-output-video/prod/" in result.videos[0].video_url
        stream = probe_video(result.video_bytes[0], ".mp4")
        # 8 + 8 frames of the two prompts at txt2video's 8 fps: two seconds.
        assert (stream["codec_name"], stream["pix_fmt"]) == ("h264", "yuv420p")
        assert (stream["width"], stream["height"], stream["r_frame_rate"]) == (320, 256, "8/1")
        assert (stream["nb_read_frames"], float(stream["duration"])) == ("16", 2.0)

    def test_txt2video_as_gif(self, sdk):
        result = sdk.txt2video(model_name="darkSushiMixMix_225D_64380.safetensors", height=256, width=256, steps=20,
                               prompts=self.PROMPTS, guidance_scale=7.5, response_video_type="gif")
        assert [video.video_type for video in result.videos] == ["gif"]
        stream = probe_video(result.video_bytes[0], ".gif")
        assert (stream["codec_name"], stream["width"], stream["nb_read_frames"]) == ("gif", 256, "16")

    def test_async_txt2video_reads_back_through_async_task_result(self, sdk):
        submitted = sdk.async_txt2video(model_name="darkSushiMixMix_225D_64380.safetensors", height=256,
                                        width=256, steps=20, prompts=self.PROMPTS, guidance_scale=7.5)
        result = sdk.async_task_result(submitted.task_id)
        assert (result.task.task_type, result.task.status) == ("TXT_TO_VIDEO", V3TaskResponseStatus.TASK_STATUS_SUCCEED)
        assert int(result.videos[0].video_url_ttl) == 3600

    def test_img2video_keeps_the_input_size_with_the_sdks_original_dimension(self, sdk):
        result = sdk.img2video(clientkit.picture(200, 150), model_name="SVD-XT", steps=20, frames_num=10,
                               image_file_resize_mode=Img2VideoResizeMode.ORIGINAL_DIMENSION)
        assert result.task.task_type == "IMG_TO_VIDEO"
        stream = probe_video(result.video_bytes[0], ".mp4")
        # The SDK's default frames_per_second is 6: ten frames last 10/6 s.
        assert (stream["width"], stream["height"], stream["r_frame_rate"]) == (200, 150, "6/1")
        assert stream["nb_read_frames"] == "10"
        assert abs(float(stream["duration"]) - 10 / 6) < 0.001

    def test_img2video_crops_to_svds_shape_by_default(self, sdk):
        result = sdk.img2video(clientkit.picture(150, 200), model_name="SVD", steps=20, frames_num=2)
        stream = probe_video(result.video_bytes[0], ".mp4")
        assert (stream["width"], stream["height"], stream["nb_read_frames"]) == (576, 1024, "2")


class TestPolling:
    def test_the_sdk_wait_helper_follows_a_task_to_its_images_at_the_default_speed(self, mock_real_speed):
        sdk = NovitaClient("polling-key", base_url=mock_real_speed.url)
        submitted = sdk.raw_txt2img_v3(Txt2ImgV3Request(model_name=SDXL, prompt="a harbour", width=256, height=256))
        seen = []
        result = sdk.wait_for_task_v3(submitted.task_id, callback=lambda progress: seen.append(progress.task.status.value))
        assert result.task.status == V3TaskResponseStatus.TASK_STATUS_SUCCEED
        # Every answer the helper saw is a known state, and states only move forward.
        assert seen and seen[-1] == "TASK_STATUS_SUCCEED"
        assert [STATUS_ORDER.index(status) for status in seen] == sorted(STATUS_ORDER.index(status) for status in seen)
        result.download_images()
        assert_images(result.images_encoded, 1, (256, 256), "PNG")


class TestModels:
    def test_query_model_v3_pages_the_catalog(self, sdk):
        page = sdk.query_model_v3(limit="5")
        assert 0 < len(page.models) <= 5
        assert all(model.sd_name for model in page.models)

    def test_models_v3_lists_the_whole_catalog_with_the_generation_checkpoint(self, sdk):
        models = sdk.models_v3()
        assert len(models) > 5
        assert SDXL in {model.sd_name for model in models}


# --- The synchronous editors of issue #16 ---------------------------------------------------

PICTURE_SIZE = (256, 192)
MASK_BOX = (96, 64, 160, 128)


@pytest.fixture
def picture():
    return clientkit.picture(*PICTURE_SIZE)


@pytest.fixture
def mask():
    return clientkit.mask(*PICTURE_SIZE, MASK_BOX)


@pytest.mark.editors
class TestEditors:
    def test_cleanup_returns_a_jpeg_of_the_input_size(self, sdk, picture, mask):
        assert_sync_image(sdk.cleanup(picture, mask), PICTURE_SIZE, "jpeg")

    def test_cleanup_keeps_every_pixel_outside_the_mask(self, sdk, picture, mask):
        cleaned = assert_sync_image(sdk.cleanup(picture, mask, response_image_type="png"), PICTURE_SIZE, "png")
        cleaned, original, edit = cleaned.convert("RGB").load(), picture.load(), mask.load()
        changed_outside = [(x, y) for y in range(PICTURE_SIZE[1]) for x in range(PICTURE_SIZE[0])
                           if edit[x, y] == 0 and cleaned[x, y] != original[x, y]]
        assert changed_outside == []

    def test_remove_background_returns_a_jpeg_of_the_input_size(self, sdk, picture):
        assert_sync_image(sdk.remove_background(picture), PICTURE_SIZE, "jpeg")

    def test_remove_background_as_png_is_transparent_around_the_subject(self, sdk, picture):
        image = assert_sync_image(sdk.remove_background(picture, response_image_type="png"), PICTURE_SIZE, "png")
        alpha = image.convert("RGBA").getchannel("A")
        low, high = alpha.getextrema()
        assert (low, high) == (0, 255)

    def test_replace_background_returns_a_jpeg_of_the_input_size(self, sdk, picture):
        assert_sync_image(sdk.replace_background(picture, "in a warehouse"), PICTURE_SIZE, "jpeg")

    def test_remove_text_returns_a_jpeg_of_the_input_size(self, sdk, picture):
        assert_sync_image(sdk.remove_text(picture), PICTURE_SIZE, "jpeg")

    def test_merge_face_returns_a_jpeg_of_the_target_size(self, sdk, picture):
        result = sdk.merge_face(image=picture, face_image=clientkit.picture(128, 128))
        assert_sync_image(result, PICTURE_SIZE, "jpeg")

    def test_reimagine_returns_a_jpeg_of_the_input_size(self, sdk, picture):
        assert_sync_image(sdk.reimagine(picture), PICTURE_SIZE, "jpeg")

    @pytest.mark.parametrize("image_type", ["png", "webp", "jpeg"])
    def test_an_editor_answers_in_the_requested_type(self, sdk, picture, image_type):
        assert_sync_image(sdk.reimagine(picture, response_image_type=image_type), PICTURE_SIZE, image_type)

    def test_img2prompt_describes_the_picture_in_words(self, sdk, picture):
        result = sdk.img2prompt(picture)
        assert isinstance(result.prompt, str) and result.prompt.strip()
