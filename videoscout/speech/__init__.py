"""What is said in a video: audio decoding, speech recognizers, cached transcripts, subtitles.

from videoscout.speech import transcribe
transcript = transcribe("talk.mp4")            # sphinx:en-us, cached
transcript.find("red circle")                  # BM25-ranked segments with their times
write_subtitles(transcript.segments, "talk.srt")
"""

from .audio import SAMPLE_RATE, AudioChunk, AudioInfo, audio_info, iter_chunks
from .engines import DEFAULT_ASR, get_asr, list_asr, register_asr, unregister_asr
from .recognizer import SpeechRecognizer
from .subtitles import srt, vtt, write_subtitles
from .transcribe import transcribe
from .transcript import Segment, SpeechHit, Transcript, Word, segments_from_words

__all__ = [
    "DEFAULT_ASR",
    "SAMPLE_RATE",
    "AudioChunk",
    "AudioInfo",
    "Segment",
    "SpeechHit",
    "SpeechRecognizer",
    "Transcript",
    "Word",
    "audio_info",
    "get_asr",
    "iter_chunks",
    "list_asr",
    "register_asr",
    "segments_from_words",
    "srt",
    "transcribe",
    "unregister_asr",
    "vtt",
    "write_subtitles",
]
