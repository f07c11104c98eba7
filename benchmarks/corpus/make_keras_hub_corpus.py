"""Build the keras_hub backbone corpus: one small file per backbone class of the installed keras_hub, built
from explicit arguments, with what Keras builds from it.

Usage:  KERAS_BACKEND=jax python benchmarks/corpus/make_keras_hub_corpus.py [--truth PATH/keras_truth.py]
        python benchmarks/score_corpus.py benchmarks/corpus/keras_hub.json --corpus corpus/keras_hub

The files are this script's (three lines each, the arguments below: small sizes so that Keras builds them in
seconds); the model code they reach is keras_hub's, read from the installed package. Each FILE.py and the
FILE.keras.json keras_truth.py records for it go to corpus/keras_hub/ (git-ignored, as every corpus), and the
manifest benchmarks/corpus/keras_hub.json names each file, the class and the keras_hub version.
"""
import argparse
import importlib.metadata
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Each backbone by the arguments its constructor requires (small sizes), and any it needs besides.
TEXT = "num_layers=2, hidden_dim=32, intermediate_dim=64"
BACKBONES = {
    "albert": f"AlbertBackbone(vocabulary_size=128, num_heads=4, embedding_dim=16, {TEXT}, max_sequence_length=16)",
    "bart": f"BartBackbone(vocabulary_size=128, num_heads=4, {TEXT}, max_sequence_length=16)",
    "bert": f"BertBackbone(vocabulary_size=128, num_heads=4, {TEXT}, max_sequence_length=16)",
    "bloom": f"BloomBackbone(vocabulary_size=128, num_heads=4, {TEXT})",
    "deberta_v3": f"DebertaV3Backbone(vocabulary_size=128, num_heads=4, {TEXT}, max_sequence_length=16)",
    "distil_bert": f"DistilBertBackbone(vocabulary_size=128, num_heads=4, {TEXT}, max_sequence_length=16)",
    "electra": f"ElectraBackbone(vocab_size=128, num_heads=4, embedding_dim=16, {TEXT}, max_sequence_length=16)",
    "esm": f"ESMBackbone(vocabulary_size=128, num_heads=4, {TEXT})",
    "falcon": f"FalconBackbone(vocabulary_size=128, num_attention_heads=4, {TEXT})",
    "f_net": f"FNetBackbone(vocabulary_size=128, {TEXT}, max_sequence_length=16)",
    "gemma": f"GemmaBackbone(vocabulary_size=128, num_query_heads=4, num_key_value_heads=1, head_dim=8, {TEXT})",
    "gpt2": f"GPT2Backbone(vocabulary_size=128, num_heads=4, {TEXT}, max_sequence_length=16)",
    "gpt_neo_x": f"GPTNeoXBackbone(vocabulary_size=128, num_heads=4, {TEXT}, max_sequence_length=16)",
    "llama": f"LlamaBackbone(vocabulary_size=128, num_query_heads=4, num_key_value_heads=2, {TEXT})",
    "llama3": f"Llama3Backbone(vocabulary_size=128, num_query_heads=4, num_key_value_heads=2, {TEXT})",
    "mistral": f"MistralBackbone(vocabulary_size=128, num_query_heads=4, num_key_value_heads=2, {TEXT})",
    "mixtral": f"MixtralBackbone(vocabulary_size=128, num_query_heads=4, num_key_value_heads=2, num_experts=4, {TEXT})",
    "opt": f"OPTBackbone(vocabulary_size=128, num_heads=4, {TEXT}, max_sequence_length=16)",
    "phi3": f"Phi3Backbone(vocabulary_size=128, num_query_heads=4, num_key_value_heads=2, {TEXT})",
    "qwen": f"QwenBackbone(vocabulary_size=128, num_query_heads=4, num_key_value_heads=2, {TEXT})",
    "qwen3": f"Qwen3Backbone(vocabulary_size=128, num_query_heads=4, num_key_value_heads=2, head_dim=8, {TEXT})",
    "roberta": f"RobertaBackbone(vocabulary_size=128, num_heads=4, {TEXT}, max_sequence_length=16)",
    "roformer_v2": f"RoformerV2Backbone(vocabulary_size=128, num_heads=4, head_size=8, {TEXT})",
    "t5": f"T5Backbone(vocabulary_size=128, num_heads=4, {TEXT})",
    "whisper": f"WhisperBackbone(vocabulary_size=128, num_heads=4, {TEXT}, max_encoder_sequence_length=32, "
               "max_decoder_sequence_length=16)",
    "xlm_roberta": f"XLMRobertaBackbone(vocabulary_size=128, num_heads=4, {TEXT}, max_sequence_length=16)",
    "xlnet": f"XLNetBackbone(vocabulary_size=128, num_heads=4, {TEXT})",
    "deit": "DeiTBackbone(image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=4, hidden_dim=32, "
            "intermediate_dim=64)",
    "dinov2": "DINOV2Backbone(patch_size=14, num_layers=2, hidden_dim=32, num_heads=4, intermediate_dim=64, "
              "image_shape=(56, 56, 3))",
    "vit": "ViTBackbone(image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=4, hidden_dim=32, mlp_dim=64)",
    "densenet": "DenseNetBackbone(stackwise_num_repeats=[2, 2], image_shape=(32, 32, 3))",
    "resnet": "ResNetBackbone(input_conv_filters=[64], input_conv_kernel_sizes=[7], stackwise_num_filters=[64, 128], "
              "stackwise_num_blocks=[1, 1], stackwise_num_strides=[1, 2], block_type='basic_block', "
              "image_shape=(32, 32, 3))",
    "vgg": "VGGBackbone(stackwise_num_repeats=[1, 1], stackwise_num_filters=[8, 16], image_shape=(32, 32, 3))",
    "xception": "XceptionBackbone(stackwise_conv_filters=[[32, 64], [64, 128]], stackwise_pooling=[False, True], "
                "image_shape=(64, 64, 3))",
    "swin_transformer": "SwinTransformerBackbone(image_shape=(32, 32, 3), embed_dim=16, depths=[2, 2], "
                        "num_heads=[2, 4], window_size=4, patch_size=2)",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", default=os.path.join(os.path.dirname(REPO), "shared", "tools", "keras_truth.py"))
    args = parser.parse_args(argv)
    folder = os.path.join(REPO, "corpus", "keras_hub")
    os.makedirs(folder, exist_ok=True)
    version = importlib.metadata.version("keras-hub")
    files = []
    for name, call in BACKBONES.items():
        path = os.path.join(folder, f"{name}.py")
        with open(path, "w") as handle:
            handle.write(f"import keras_hub\n\nbackbone = keras_hub.models.{call}\n")
        files.append({"file": f"{name}.py", "repository": "keras-team/keras-hub", "path": f"keras_hub.models.{call.split('(')[0]}",
                      "commit": f"keras-hub {version} (PyPI)"})
    recorded = subprocess.run([sys.executable, args.truth, *[os.path.join(folder, f["file"]) for f in files]],
                              capture_output=True, text=True, env=dict(os.environ, KERAS_BACKEND="jax"), check=True)
    for path, entry in json.loads(recorded.stdout).items():
        with open(os.path.join(folder, os.path.basename(path).replace(".py", ".keras.json")), "w") as handle:
            json.dump(entry, handle, indent=1)
    manifest = {"description": __doc__.split("\n\n")[0].replace("\n", " "), "files": files}
    with open(os.path.join(REPO, "benchmarks", "corpus", "keras_hub.json"), "w") as handle:
        json.dump(manifest, handle, indent=1)
        handle.write("\n")
    print(f"{len(files)} files in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
