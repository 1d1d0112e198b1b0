"""Captions and VQA: the CoCa decoding loop, a tiny VLM through its real processor and chat
template, the caption cache, and bad input. The toy CoCa's quality is in test_toy_world.py."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from videoscout import open_video
from videoscout.cli.main import cli
from videoscout.models.captioner import Decoding
from videoscout.models.coca_decoding import _next_logits, generate
from videoscout.models.random_vlm import IMAGE, build_random_vlm
from videoscout.models.registry import get_captioner, get_embedder

TINY_COCA = "random:vs-tiny-coca"
TINY_VLM = "vlm-random:tiny"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory) -> str:
    """The tiny random VLM saved to a folder, as a user's downloaded model would be."""
    processor, model = build_random_vlm("tiny")
    folder = tmp_path_factory.mktemp("vlm") / "tiny-vlm"
    processor.save_pretrained(folder)
    model.save_pretrained(folder)
    return f"vlm:{folder}"


def frames(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 48, 64, 3), dtype=np.uint8)


# --- CoCa decoding --------------------------------------------------------------------------


def sequence_logprob(model, image_embs, prefix: list[int], continuation: list[int], end: int):
    tokens = torch.tensor([prefix])
    total = 0.0
    for token in [*continuation, end]:
        total += _next_logits(model, image_embs, tokens).log_softmax(-1)[0, token].item()
        tokens = torch.cat([tokens, torch.tensor([[token]])], dim=1)
    return total / (len(continuation) + 1)


def test_coca_decoding_greedy_beam_and_top_p():
    parts = get_embedder(TINY_COCA).coca_parts()
    model, images = parts.model, parts.inputs(frames(2))
    prefix = [[parts.start_id]] * 2
    greedy = generate(model, images, prefix, parts.end_id, max_new_tokens=6)
    assert greedy == generate(model, images, prefix, parts.end_id, max_new_tokens=6)
    assert all(1 <= len(ids) <= 6 for ids in greedy)  # bounded, never empty for a random model
    # Greedy picks the best next token at every step: check it against the logits.
    with torch.inference_mode():
        _, embs = model._encode_image(images[:1])
        tokens = torch.tensor([prefix[0]])
        for token in greedy[0]:
            assert _next_logits(model, embs, tokens).argmax(-1).item() == token
            tokens = torch.cat([tokens, torch.tensor([[token]])], dim=1)
        # Beam search finds a sequence at least as likely (per token) as greedy's.
        beam = generate(model, images[:1], prefix[:1], parts.end_id, method="beam", beams=4)[0]
        ours = sequence_logprob(model, embs, prefix[0], beam, parts.end_id)
        theirs = sequence_logprob(model, embs, prefix[0], greedy[0], parts.end_id)
    assert ours >= theirs - 1e-4
    sampled = [
        generate(model, images, prefix, parts.end_id, method="top_p", seed=s) for s in (1, 1, 2)
    ]
    assert sampled[0] == sampled[1] and sampled[0] != sampled[2]


def test_coca_captioner_shares_the_embedders_model():
    captioner = get_captioner(TINY_COCA)
    texts = captioner.caption(frames(3), Decoding(max_new_tokens=4))
    assert len(texts) == 3 and all(isinstance(t, str) and t for t in texts)
    assert captioner._parts().model is get_embedder(TINY_COCA).model  # loaded once


# --- VLM ----------------------------------------------------------------------------------


def test_vlm_puts_every_frame_into_one_prompt(tiny_vlm, monkeypatch):
    captioner = get_captioner(tiny_vlm)
    processor, model = captioner._parts()
    seen = []
    real_generate = model.generate

    def spy(**inputs):
        seen.append(inputs["input_ids"])
        return real_generate(**inputs)

    monkeypatch.setattr(model, "generate", spy)
    image_id = processor.tokenizer.convert_tokens_to_ids(IMAGE)
    answer = captioner.answer(frames(3), "what happens?", Decoding(max_new_tokens=4))
    tokens_per_frame = processor.image_seq_len
    assert int((seen[-1] == image_id).sum()) == 3 * tokens_per_frame  # one tile per frame
    assert answer == captioner.answer(frames(3), "what happens?", Decoding(max_new_tokens=4))
    calls = len(seen)
    captions = captioner.caption(frames(5), Decoding(max_new_tokens=3))
    assert len(captions) == 5
    assert [len(ids) for ids in seen[calls:]] == [4, 1]  # batches of batch_size, left-padded
    for text in captions:
        assert len(processor.tokenizer(text, add_special_tokens=False)["input_ids"]) <= 3 + 1


def test_a_saved_vlm_folder_answers_like_the_model_it_was_saved_from(tiny_vlm):
    images, question = frames(2), "what is on the screen?"
    decoding = Decoding(max_new_tokens=5)
    direct = get_captioner(TINY_VLM).answer(images, question, decoding)
    assert get_captioner(tiny_vlm).answer(images, question, decoding) == direct


def test_video_caption_and_ask_with_a_vlm(rgb_video, tiny_vlm):
    video = open_video(rgb_video, captioner=tiny_vlm)
    described = video.caption(frames=4)
    # The frames on screen (10 fps) at the centres of four equal slices of the video.
    centres = [(i + 0.5) * video.info.duration / 4 for i in range(4)]
    expected = [math.floor(10 * t + 1e-6) / 10 for t in centres]
    assert [c.time for c in described.captions] == pytest.approx(expected, abs=1e-3)
    assert described.summary is not None  # VLMs also describe the stretch as a whole
    answer = video.look("what colour is the screen?", at=[1.0, 7.0])
    assert answer.times == [1.0, 7.0] and answer.per_frame is None
    assert answer.captioner == tiny_vlm


# --- caption cache and text search --------------------------------------------------------


def test_captions_are_right_and_cached_per_frame(rgb_video, colour_captioner, cache_dir):
    video = open_video(rgb_video, captioner="fake:colour")
    first = video.caption(0, 6, every=1.0)
    assert [(c.time, c.text) for c in first.captions] == [
        (float(t), "a red screen" if t < 3 else "a green screen") for t in range(6)
    ]
    assert colour_captioner.frames_captioned == 6
    again = open_video(rgb_video, captioner="fake:colour").caption(0, 6, every=1.0)
    assert again == first and colour_captioner.frames_captioned == 6  # nothing recomputed
    wider = video.caption(0, 9, every=1.0)
    assert colour_captioner.frames_captioned == 9  # only the three new frames
    assert wider.captions[:6] == first.captions and wider.captions[-1].text == "a blue screen"
    files = list((cache_dir / "captions").rglob("*.json"))
    assert len(files) == 1 and not list((cache_dir / "captions").rglob(".*.json*"))
    # A damaged cache file is recomputed, not fatal.
    files[0].write_text("{not json")
    assert video.caption(0, 6, every=1.0) == first
    assert len(json.loads(files[0].read_text())["captions"]) == 6


def test_an_unwritable_caption_cache_is_one_clear_error(rgb_video, colour_captioner, tmp_path):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where a folder should be")  # root ignores permission bits
    args = ("--frames", "1", "--cache-dir", str(blocked / "videoscout"))
    code, out, err = run("caption", str(rgb_video), "-c", "fake:colour", *args)
    assert code == 1 and "cannot save captions" in err and "VIDEOSCOUT_CACHE_DIR" in err


def test_vqa_votes_over_frames_and_reports_them(rgb_video, colour_captioner):
    video = open_video(rgb_video, captioner="fake:colour")
    answer = video.look("which colour?", at=[1.0, 4.0, 5.0])
    assert answer.answer == "green" and answer.per_frame == ["red", "green", "green"]
    assert answer.times == [1.0, 4.0, 5.0]
    answer = video.look("which colour?", start=6, end=9, frames=3)
    assert answer.answer == "blue" and answer.times == [6.5, 7.5, 8.5]


def test_cached_captions_are_searchable_as_text(rgb_video, colour_captioner):
    video = open_video(rgb_video, captioner="fake:colour")
    video.caption(every=1.0)
    hits = video.search_captions("the blue screen", k=20)
    assert [(h.time, h.score) for h in hits[:4]] == [(6.0, 1.0), (7.0, 1.0), (8.0, 1.0), (0.0, 0.5)]
    assert len(hits) == 12 and hits[0].captioner == "fake:colour"  # every caption says "screen"
    assert [h.time for h in video.search_captions("blue", k=20)] == [6.0, 7.0, 8.0]
    assert video.search_captions("purple") == []


# --- CLI and bad input --------------------------------------------------------------------


def test_cli_caption_and_vqa_json(rgb_video, colour_captioner):
    args = ("--range", "0:03-0:09", "--every", "2s", "--json")
    code, out, _ = run("caption", str(rgb_video), "-c", "fake:colour", *args)
    assert code == 0
    report = json.loads(out)
    assert [(c["time"], c["text"]) for c in report["captions"]] == [
        (3.0, "a green screen"),
        (5.0, "a green screen"),
        (7.0, "a blue screen"),
    ]
    args = ("--at", "1,0:10", "--json")
    code, out, _ = run("vqa", str(rgb_video), "which colour?", "-c", "fake:colour", *args)
    assert code == 0
    answer = json.loads(out)
    assert answer["times"] == [1.0, 10.0] and answer["per_frame"] == ["red", "yellow"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["vqa", "{v}", "colour?", "--at", "0:30"], "outside the video; it runs 0:00-0:1"),
        (["vqa", "{v}", "colour?", "--range", "0:08-0:04"], "empty range"),
        (["vqa", "{v}", "   ", "--at", "1"], "question is empty"),
        (["vqa", "{v}", "colour?"], "say where to look"),
        (["caption", "{v}", "--range", "0:30-0:40"], "outside the video"),
        (["caption", "{v}", "--every", "0"], "positive time"),
        (["caption", "{v}", "-c", "nope:x"], "unknown captioner 'nope:x'. Captioners: "),
        (["caption", "{v}", "-c", "clip:ViT-B-32/laion2b_s34b_b79k"], "cannot caption"),
        (["caption", "{v}", "-c", "vlm:Org/NotDownloaded"], "hf download Org/NotDownloaded"),
        (["caption", "{v}", "--range", "abc"], "use START-END"),
    ],
)
def test_bad_input_is_one_clear_line(rgb_video, args, message):
    argv = [a.replace("{v}", str(rgb_video)) for a in args]
    if argv[0] == "caption" and "-c" not in argv:
        argv += ["-c", TINY_COCA]
    if argv[0] == "vqa":
        argv += ["-c", TINY_COCA]
    code, out, err = run(*argv)
    assert code != 0 and out == ""
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_search_also_searches_cached_captions(rgb_video, colour_model, colour_captioner):
    run("caption", str(rgb_video), "-c", "fake:colour", "--every", "3s")
    code, out, _ = run("search", str(rgb_video), "yellow", "-m", "fake:colour", "--captions")
    assert code == 0
    assert out.split("in cached captions:")[1].split() == [
        "0:09.00",
        "a",
        "yellow",
        "screen",
        "(fake:colour)",
    ]
    args = ("search", str(rgb_video), "purple", "-m", "fake:colour", "--captions", "--json")
    code, out, _ = run(*args)
    assert code == 0 and json.loads(out)["caption_hits"] == []


def test_decoding_without_padding_gives_the_padded_logits():
    parts = get_embedder(TINY_COCA).coca_parts()  # a class token, as pretrained CoCa has
    model = copy.deepcopy(parts.model).float()  # exact equality needs float32 arithmetic
    with torch.inference_mode():
        _, embs = model._encode_image(parts.inputs(frames(2)).float())
        tokens = torch.tensor([[parts.start_id, 320, 1125, 530]] * 2)
        short = _next_logits(model, embs, tokens)
        padded = _next_logits(model, embs, tokens, pad=True)
    torch.testing.assert_close(short, padded, atol=1e-5, rtol=1e-5)
