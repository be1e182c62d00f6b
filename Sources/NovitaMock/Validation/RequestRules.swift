/// The request rule tables of SPEC §4 (and §11 for the later endpoints). Everything the
/// validator, its error messages and `openapi.yaml` know about a request comes from here.
enum RequestRules {
    static let samplers = [
        "Euler a", "Euler", "LMS", "Heun", "DPM2", "DPM2 a", "DPM++ 2S a", "DPM++ 2M", "DPM++ SDE", "DPM fast",
        "DPM adaptive", "LMS Karras", "DPM2 Karras", "DPM2 a Karras", "DPM++ 2S a Karras", "DPM++ 2M Karras",
        "DPM++ SDE Karras", "DDIM", "PLMS", "UniPC",
    ]

    static let controlNetsSD15 = [
        "control_v11e_sd15_ip2p", "control_v11e_sd15_shuffle", "control_v11f1e_sd15_tile",
        "control_v11f1p_sd15_depth", "control_v11p_sd15_canny", "control_v11p_sd15_inpaint",
        "control_v11p_sd15_lineart", "control_v11p_sd15_mlsd", "control_v11p_sd15_normalbae",
        "control_v11p_sd15_openpose", "control_v11p_sd15_scribble", "control_v11p_sd15_seg",
        "control_v11p_sd15_softedge", "control_v11p_sd15s2_lineart_anime", "control_v1p_sd15_brightness",
        "control_v1p_sd15_qrcode_monster", "control_v1p_sd15_qrcode_monster_v2",
    ]
    static let controlNetsSDXL = [
        "controlnet-canny-sdxl-1.0", "controlnet-depth-sdxl-1.0", "controlnet-openpose-sdxl-1.0",
        "controlnet-softedge-sdxl-1.0",
    ]
    static let controlNets = controlNetsSD15 + controlNetsSDXL

    static let preprocessors = [
        "scribble_hed", "softedge_hed", "scribble_hedsafe", "softedge_hedsafe", "depth_midas", "mlsd", "openpose",
        "openpose_face", "openpose_faceonly", "openpose_full", "openpose_hand", "dwpose", "scribble_pidinet",
        "softedge_pidinet", "scribble_pidsafe", "softedge_pidsafe", "normal_bae", "lineart_coarse",
        "lineart_realistic", "lineart_anime", "lineart", "depth_zoe", "shuffle", "mediapipe_face", "canny", "depth",
        "depth_leres", "depth_leres++",
    ]

    static let ipAdapterModels = ["ip-adapter_sd15.bin", "ip-adapter_sdxl.bin"]
    static let responseImageTypes = ["png", "webp", "jpeg"]
    static let testModeStatuses = ["TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"]

    static let inputImage = ValueKind.image(ImageLimits())

    // MARK: extra (shared by every async endpoint)

    static let extra = ObjectSchema([
        FieldRule(
            "response_image_type", .enumeration(responseImageTypes), default: "png",
            "The returned image type."),
        FieldRule(
            "webhook",
            .object(
                ObjectSchema([
                    FieldRule("url", .httpURL, .required, "The webhook endpoint that receives ASYNC_TASK_RESULT."),
                    FieldRule(
                        "test_mode",
                        .object(
                            ObjectSchema([
                                FieldRule("enabled", .boolean, .required, "Send a mock event at once."),
                                FieldRule(
                                    "return_task_status", .enumeration(testModeStatuses), .required,
                                    "The status of the mock event."),
                            ])), "Test mode: no work is done, the event is sent at once."),
                ])), "Webhook settings."),
        FieldRule(
            "custom_storage",
            .object(
                ObjectSchema([
                    FieldRule(
                        "aws_s3",
                        .object(
                            ObjectSchema([
                                FieldRule("region", .nonEmptyString, .required, "AWS region."),
                                FieldRule("bucket", .s3BucketName, .required, "Bucket name."),
                                FieldRule("path", .s3ObjectPath, .required, "Key prefix for the outputs."),
                                FieldRule(
                                    "save_to_path_directly", .boolean, default: false,
                                    "Store directly under path, without a per-task folder."),
                            ])), "AWS S3 bucket settings.")
                ])), "Custom storage for the outputs."),
        FieldRule(
            "enterprise_plan",
            .object(
                ObjectSchema([
                    FieldRule("enabled", .boolean, default: false, "Use dedicated resources (skips the shared queue).")
                ])), "Dedicated endpoint settings."),
        FieldRule("enable_nsfw_detection", .boolean, default: false, "Run NSFW detection on each image."),
        FieldRule("nsfw_detection_level", .integerEnum([0, 1, 2]), default: 0, "0, 1 or 2: stricter as it rises."),
    ])

    // MARK: img2img

    static let loras = FieldRule(
        "loras",
        .array(
            of: .object(
                ObjectSchema([
                    FieldRule("model_name", .nonEmptyString, .required, "LoRA sd_name_in_api."),
                    FieldRule("strength", .number(0, 1), .required, "LoRA weight."),
                ])), minItems: 0, maxItems: 5), "Up to 5 LoRAs.")

    static let embeddings = FieldRule(
        "embeddings",
        .array(
            of: .object(
                ObjectSchema([
                    FieldRule("model_name", .nonEmptyString, .required, "Textual inversion sd_name_in_api.")
                ])), minItems: 0, maxItems: 5), "Up to 5 textual inversions.")

    static let controlnet = FieldRule(
        "controlnet",
        .object(
            ObjectSchema([
                FieldRule(
                    "units",
                    .array(
                        of: .object(
                            ObjectSchema(
                                [
                                    FieldRule("model_name", .enumeration(controlNets), .required, "ControlNet model."),
                                    FieldRule("image_base64", inputImage, .required, "Base64 control image."),
                                    FieldRule("strength", .number(0, 1), .required, "Unit strength."),
                                    FieldRule("preprocessor", .enumeration(preprocessors), "Preprocessor."),
                                    FieldRule("guidance_start", .number(0, 1), "Start of guidance (ratio)."),
                                    FieldRule("guidance_end", .number(0, 1), "End of guidance (ratio)."),
                                ], constraints: [.notGreater(lower: "guidance_start", upper: "guidance_end")])),
                        minItems: 1, maxItems: nil), .required, "ControlNet units.")
            ])), "ControlNet configuration.")

    static let ipAdapters = FieldRule(
        "ip_adapters",
        .array(
            of: .object(
                ObjectSchema([
                    FieldRule("model_name", .enumeration(ipAdapterModels), .required, "IP-Adapter model."),
                    FieldRule("image_base64", inputImage, .required, "Base64 reference image."),
                    FieldRule("strength", .number(0, 1), .required, "Adapter strength."),
                ])), minItems: 0, maxItems: 1), "At most one IP-Adapter.")

    static let modelName = FieldRule("model_name", .nonEmptyString, .required, "Checkpoint sd_name.")
    static let prompt = FieldRule("prompt", .string(minLength: 1, maxLength: 1024), .required, "Prompt.")
    static let negativePrompt = FieldRule(
        "negative_prompt", .string(minLength: 0, maxLength: 1024), "What to keep out of the image.")
    static let width = FieldRule(
        "width", .integer(min: 128, max: 2048), .requiredWithSDKDefault(512), "Image width.")
    static let height = FieldRule(
        "height", .integer(min: 128, max: 2048), .requiredWithSDKDefault(512), "Image height.")
    static let imageNum = FieldRule(
        "image_num", .integer(min: 1, max: 8), .requiredWithSDKDefault(1), "Images per task.")
    static let steps = FieldRule(
        "steps", .integer(min: 1, max: 100), .requiredWithSDKDefault(20), "Denoising steps.")
    static let guidanceScale = FieldRule(
        "guidance_scale", .number(1, 30), .requiredWithSDKDefault(7.5), "Classifier-free guidance scale.")
    static let samplerName = FieldRule(
        "sampler_name", .enumeration(samplers), .requiredWithSDKDefault("Euler a"), "Sampler.")
    static let sdVAE = FieldRule("sd_vae", .nonEmptyString, "VAE sd_name.")
    static let seed = FieldRule(
        "seed", .integer(min: -1, max: 4_294_967_295), default: -1, "Seed; -1 lets the server pick one.")
    static let clipSkip = FieldRule("clip_skip", .integer(min: 1, max: 12), "CLIP layers to skip.")

    static let img2imgRequest = ObjectSchema([
        modelName,
        FieldRule("image_base64", inputImage, .required, "Base64 input image (≤ 10 MiB, ≤ 16 MP)."),
        prompt, negativePrompt, width, height, imageNum, steps, guidanceScale, samplerName, sdVAE, seed, clipSkip,
        FieldRule(
            "strength", .number(0, 1), nullable: true, default: 0.5,
            "How much the input is transformed: 0 keeps it, 1 ignores it."),
        loras, embeddings, controlnet, ipAdapters,
    ])

    static let img2imgBody = body(request: img2imgRequest)

    // MARK: txt2img

    static let hiresUpscalers = ["RealESRGAN_x4plus_anime_6B", "RealESRNet_x4plus", "Latent"]

    static let txt2imgRequest = ObjectSchema([
        modelName, prompt, negativePrompt, width, height, imageNum, steps, guidanceScale, samplerName, sdVAE, seed,
        clipSkip, loras, embeddings,
        FieldRule(
            "hires_fix",
            .object(
                ObjectSchema([
                    FieldRule("target_width", .integer(min: 128, max: 4096), .required, "Final width."),
                    FieldRule("target_height", .integer(min: 128, max: 4096), .required, "Final height."),
                    FieldRule("strength", .number(0, 1), "Denoising strength of the second pass."),
                    FieldRule("upscaler", .enumeration(hiresUpscalers), "Upscaler of the second pass."),
                ])), "Second, larger pass; the output has the target size."),
        FieldRule(
            "refiner",
            .object(ObjectSchema([FieldRule("switch_at", .number(0, 1), .required, "When the refiner takes over.")])),
            "SDXL refiner."),
        FieldRule("enable_transparent_background", .boolean, default: false, "Transparent background."),
        FieldRule("restore_faces", .boolean, default: false, "Face restoration."),
    ])

    static let txt2imgBody = body(request: txt2imgRequest)

    // MARK: upscale

    static let upscaleModels = ["RealESRGAN_x4plus_anime_6B", "RealESRNet_x4plus", "4x-UltraSharp"]

    static let upscaleRequest = ObjectSchema([
        FieldRule("model_name", .enumeration(upscaleModels), .required, "Upscaler model."),
        FieldRule(
            "image_base64", .image(ImageLimits(maxBytes: 30 * 1024 * 1024, maxPixels: 2048 * 2048, maxSide: 2048)),
            .required, "Base64 input image (≤ 30 MB, ≤ 2048×2048)."),
        FieldRule(
            "scale_factor", .number(min: 1, max: 4, minExclusive: true), .required, "Upscale factor in (1, 4]."),
    ])

    static let upscaleBody = body(request: upscaleRequest)

    /// The top level shared by every async endpoint: `{"extra": {…}, "request": {…}}`.
    static func body(request: ObjectSchema) -> ObjectSchema {
        ObjectSchema([
            FieldRule("extra", .object(extra), nullable: true, "Optional extra parameters."),
            FieldRule("request", .object(request), .required, "The generation request."),
        ])
    }
}
