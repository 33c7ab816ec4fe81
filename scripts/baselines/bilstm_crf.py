#!/usr/bin/env python
"""Baseline ``bilstm-crf``: a character BiLSTM with one CRF head per label layer (PyTorch, CPU).

No pretrained weights (none can be downloaded here, and no package ships Chinese character
vectors): every embedding is learnt from scratch on the gold sentences of train. Input per
character: its simplified form (a vocabulary of the train characters; the rest, and 10% of the
train characters at random during training, read as <unk>, so unseen names look like the
names it was trained on), its character class, and whether it stands in 《》 or quotes
(``char_features``). One shared BiLSTM, then per layer (entity, figure, claim) a linear layer
and a CRF (pytorch-crf) over that layer's BIO tags; the loss is the sum of the three.

Early stopping on validation: the weights of the epoch with the best micro strict F1 on
validation (the official matching, in memory) are kept; training stops after ``PATIENCE``
epochs without improvement. Deterministic on CPU: fixed seeds (``--seed``), one thread,
``torch.use_deterministic_algorithms(True)``; the same seed gives the same submission.
"""

from __future__ import annotations

import copy
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from baselines_common import (
    EVAL_SPLITS,
    Sentence,
    Span,
    System,
    argument_parser,
    gold_only,
    layer_tags,
    load_split,
    quick_score,
    run_baseline,
    spans_to_tags,
    tags_to_spans,
)
from char_features import CLASSES, bracket_marks, char_class, simplified
from torch import nn
from torchcrf import CRF

from chainpolicy.schema import LABEL_NAMES

MARKS = ("", "book", "quote")


@dataclass(frozen=True)
class Settings:
    char_dim: int = 64
    class_dim: int = 8
    mark_dim: int = 4
    hidden: int = 128  # per direction
    dropout: float = 0.3
    unk_rate: float = 0.1  # train characters read as <unk> at random
    lr: float = 3e-3
    batch: int = 16
    max_epochs: int = 80
    patience: int = 12
    clip: float = 5.0


class Vocabulary:
    PAD, UNK = 0, 1

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        counts = Counter(simplified(c) for s in sentences for c in s.text)
        self.chars = ["<pad>", "<unk>", *sorted(counts)]
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        return [self.index.get(simplified(c), self.UNK) for c in text]


def _inputs(vocab: Vocabulary, text: str) -> tuple[list[int], list[int], list[int]]:
    return (
        vocab.encode(text),
        [CLASSES.index(char_class(c)) + 1 for c in text],
        [MARKS.index(m) + 1 for m in bracket_marks(text)],
    )


class Tagger(nn.Module):
    def __init__(self, vocab_size: int, settings: Settings) -> None:
        super().__init__()
        self.chars = nn.Embedding(vocab_size, settings.char_dim, padding_idx=0)
        self.classes = nn.Embedding(len(CLASSES) + 1, settings.class_dim, padding_idx=0)
        self.marks = nn.Embedding(len(MARKS) + 1, settings.mark_dim, padding_idx=0)
        width = settings.char_dim + settings.class_dim + settings.mark_dim
        self.lstm = nn.LSTM(width, settings.hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(settings.dropout)
        self.tags = {label: layer_tags(label) for label in LABEL_NAMES}
        self.heads = nn.ModuleDict(
            {label: nn.Linear(2 * settings.hidden, len(t)) for label, t in self.tags.items()}
        )
        self.crfs = nn.ModuleDict(
            {label: CRF(len(t), batch_first=True) for label, t in self.tags.items()}
        )

    def emissions(self, chars: torch.Tensor, classes: torch.Tensor, marks: torch.Tensor) -> Any:
        x = torch.cat([self.chars(chars), self.classes(classes), self.marks(marks)], dim=-1)
        hidden, _ = self.lstm(self.dropout(x))
        hidden = self.dropout(hidden)
        return {label: head(hidden) for label, head in self.heads.items()}


def _pad(rows: Sequence[Sequence[int]]) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([list(r) + [0] * (width - len(r)) for r in rows], dtype=torch.long)


class Trainer:
    def __init__(self, train: Sequence[Sentence], settings: Settings, seed: int) -> None:
        self.settings = settings
        self.seed = seed
        deterministic(seed)
        self.vocab = Vocabulary(train)
        self.model = Tagger(len(self.vocab), settings)
        self.train = [s for s in train if s.text]
        self.generator = torch.Generator().manual_seed(seed)

    def _batch(
        self, sentences: Sequence[Sentence], *, training: bool
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        encoded = [_inputs(self.vocab, s.text) for s in sentences]
        chars = _pad([e[0] for e in encoded])
        if training and self.settings.unk_rate:
            drop = torch.rand(chars.shape, generator=self.generator) < self.settings.unk_rate
            chars = chars.masked_fill(drop & (chars > 0), Vocabulary.UNK)
        mask = _pad([[1] * len(s.text) for s in sentences]).bool()
        return [chars, _pad([e[1] for e in encoded]), _pad([e[2] for e in encoded])], mask

    def epoch(self, optimiser: torch.optim.Optimizer) -> float:
        self.model.train()
        order = torch.randperm(len(self.train), generator=self.generator).tolist()
        total = 0.0
        for i in range(0, len(order), self.settings.batch):
            batch = [self.train[j] for j in order[i : i + self.settings.batch]]
            inputs, mask = self._batch(batch, training=True)
            emissions = self.model.emissions(*inputs)
            loss = torch.zeros(())
            for label, crf in self.model.crfs.items():
                tags = self.model.tags[label]
                gold = _pad(
                    [
                        [tags.index(t) for t in spans_to_tags(len(s.text), s.spans, label)]
                        for s in batch
                    ]
                )
                loss = loss - crf(emissions[label], gold, mask, reduction="mean")
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), self.settings.clip)
            optimiser.step()
            total += float(loss.detach()) * len(batch)
        return total / max(1, len(self.train))

    @torch.no_grad()
    def predict(self, sentences: Sequence[Sentence]) -> dict[str, list[Span]]:
        self.model.eval()
        out: dict[str, list[Span]] = {s.id: [] for s in sentences}
        rows = [s for s in sentences if s.text]
        for i in range(0, len(rows), 32):
            batch = rows[i : i + 32]
            inputs, mask = self._batch(batch, training=False)
            emissions = self.model.emissions(*inputs)
            for label, crf in self.model.crfs.items():
                tags = self.model.tags[label]
                paths: list[list[int]] = crf.decode(emissions[label], mask)  # type: ignore[operator]
                for s, path in zip(batch, paths, strict=True):
                    out[s.id] += tags_to_spans([tags[t] for t in path], label)
        return out

    def fit(
        self, validation: Sequence[Sentence], log: bool = True
    ) -> tuple[list[dict[str, float]], int]:
        """Train with early stopping on validation; the best epoch's weights stay loaded."""
        optimiser = torch.optim.Adam(self.model.parameters(), lr=self.settings.lr)
        history: list[dict[str, float]] = []
        best_f1, best_epoch, best_state = -1.0, 0, copy.deepcopy(self.model.state_dict())
        for epoch in range(1, self.settings.max_epochs + 1):
            loss = self.epoch(optimiser)
            f1 = quick_score(validation, self.predict(validation), "validation").micro_strict_f1
            history.append({"epoch": epoch, "train_loss": round(loss, 4), "validation_f1": f1})
            if log:
                print(f"  epoch {epoch:2d}  loss {loss:8.3f}  validation micro strict F1 {f1:.3f}")
            if f1 > best_f1:
                best_f1, best_epoch = f1, epoch
                best_state = copy.deepcopy(self.model.state_dict())
            elif epoch - best_epoch >= self.settings.patience:
                break
        self.model.load_state_dict(best_state)
        return history, best_epoch


def deterministic(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # the same float reduction order on every machine
    torch.use_deterministic_algorithms(True)


def predict_splits(
    dataset: Path, seed: int, settings: Settings | None = None
) -> tuple[dict[str, dict[str, list[Span]]], dict[str, Any]]:
    settings = settings or Settings()
    train = gold_only(load_split("train", dataset=dataset))
    splits = {split: load_split(split, dataset=dataset) for split in EVAL_SPLITS}
    trainer = Trainer(train, settings, seed)
    history, best_epoch = trainer.fit(gold_only(splits["validation"]))
    predictions = {split: trainer.predict(rows) for split, rows in splits.items()}
    details = {
        "settings": settings.__dict__,
        "vocabulary": len(trainer.vocab),
        "parameters": sum(p.numel() for p in trainer.model.parameters()),
        "best_epoch": best_epoch,
        "history": history,
        "threads": torch.get_num_threads(),
        "train_sentences": len(train),
    }
    return predictions, details


def main(argv: Sequence[str] | None = None) -> int:
    args = argument_parser(__doc__.splitlines()[0]).parse_args(argv)
    system = System(
        name="bilstm-crf",
        title="character BiLSTM-CRF, trained from scratch (PyTorch, CPU)",
        description=(
            "Character embeddings (simplified form, learnt from scratch), character-class and "
            "bracket embeddings, one BiLSTM shared by three CRF heads (entity, figure, claim; "
            "typed BIO); Adam, early stopping on validation micro strict F1"
        ),
        trained_on="train gold sentences",
        tuned_on="validation (early stopping: the epoch kept)",
        packages=("torch", "pytorch-crf", "opencc"),
    )
    run_baseline(system, args, lambda dataset: predict_splits(dataset, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
