"""A tiny GRPO run with the real TRL GRPOTrainer, made here and nothing downloaded: a randomly
initialised Qwen2 (hidden size 64, 2 layers) saved to a local folder, a WordLevel tokenizer
built with `tokenizers`, prompts of made-up words, and a reward that can be made to turn
NaN from a step on (the fault)."""
import math
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

# One thread: the tiny model gains nothing from more, and the sidecar gets a core.
torch.set_num_threads(1)

WORDS = ["<pad>", "<eos>", "<unk>"] + [f"w{i}" for i in range(61)]


def make_model(folder: str):
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(WORDS), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
        pad_token_id=0, eos_token_id=1, bos_token_id=1, tie_word_embeddings=True,
    )
    # Saved to a folder: with beta > 0 the trainer loads its reference model from the same path.
    Qwen2ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder, tokenizer


def grpo_trainer(model, output_dir: str, callback, steps: int, nan_from: float = math.inf,
                 lr: float = 1e-4, save_steps: int = 10):
    holder = {}

    def reward(completions, **kwargs):
        # The step being generated for is global_step + 1.
        if holder["trainer"].state.global_step + 1 >= nan_from:
            return [math.nan] * len(completions)
        # The share of the completion's words from the lower half of the vocabulary: about 0.5 for
        # a random policy, with spread within each group, like a verifier's partial credit.
        return [sum(1.0 for w in c.split() if w[1:].isdigit() and int(w[1:]) < 30) / max(len(c.split()), 1)
                for c in completions]

    prompts = [" ".join(f"w{(i * 7 + j) % 61}" for j in range(4)) for i in range(256)]
    args = GRPOConfig(
        output_dir=output_dir, per_device_train_batch_size=4, num_generations=4, max_completion_length=8,
        max_steps=steps, logging_steps=1, learning_rate=lr, bf16=False, gradient_checkpointing=False,
        report_to=[], save_strategy="steps", save_steps=save_steps, use_cpu=True, beta=0.04,
        disable_tqdm=True, seed=0, temperature=1.0,
    )
    model_dir, tokenizer = model
    trainer = GRPOTrainer(model=model_dir, reward_funcs=reward, args=args, processing_class=tokenizer,
                          train_dataset=Dataset.from_dict({"prompt": prompts}), callbacks=[callback])
    holder["trainer"] = trainer
    callback.attach(trainer)
    return trainer
