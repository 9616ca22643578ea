"""Losses: zero on a perfect output, permutation-invariant where they should be, equal to slow obvious versions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from method_cases import METHOD_CASES

from seld.errors import ConfigError
from seld.methods import get_method
from seld.methods.maccdoa import adpit_loss

#: The oracle of a sigmoid output has logits of about +-16: BCE is then about 1e-7 per entry, not 0.
BCE_FLOOR = 1e-6


def _method(case: str):
    opts, _ = METHOD_CASES[case]
    return get_method(case.split("-")[0], **opts)


def _batch(method, make_events, case: str, seeds=(0, 1), activity=False):
    _, same = METHOD_CASES[case]
    items = []
    for seed in seeds:
        ev = make_events(seed, same_class=same, dist="dist" in case)
        act = np.random.default_rng(seed).uniform(0.1, 1.0, len(ev)) if activity else None
        items.append(method.encode(ev, 20, 5, activity=act))
    return method.collate(items)


def _perturb(output, scale=0.1):
    gen = torch.Generator().manual_seed(0)
    if isinstance(output, dict):
        return {k: v + scale * torch.randn(v.shape, generator=gen) for k, v in output.items()}
    return output + scale * torch.randn(output.shape, generator=gen)


@pytest.mark.parametrize("case", list(METHOD_CASES))
def test_loss_is_zero_on_the_oracle_output_and_positive_elsewhere(case, make_events):
    method = _method(case)
    targets = _batch(method, make_events, case)
    perfect = method.oracle(targets)
    assert float(method.loss(perfect, targets)) == pytest.approx(0.0, abs=BCE_FLOOR)
    assert float(method.loss(_perturb(perfect), targets)) > 1e-4


@pytest.mark.parametrize("case", ["accdoa", "maccdoa-dist", "agg1", "agg2"])
def test_regression_losses_are_exactly_zero_with_soft_activity(case, make_events):
    method = _method(case)
    targets = _batch(method, make_events, case, activity=True)
    assert float(method.loss(method.oracle(targets), targets)) == pytest.approx(0.0, abs=1e-10)


def test_accdoa_loss_is_the_plain_mean_squared_error():
    method = get_method("accdoa")
    target = torch.zeros(2, 4, 3 * 5)
    target[1, 2, 7] = 1.0
    assert float(method.loss(torch.zeros_like(target), target)) == pytest.approx(1 / target.numel())


def _slow_adpit(output: torch.Tensor, targets: torch.Tensor, distance_weight: float = 1.0) -> float:
    """ADPIT spelled out per (item, frame, class) from the candidate names, as in the DCASE baseline (the squared
    distance errors times ``distance_weight``)."""
    nb, nt, _, width, k = targets.shape
    out = output.reshape(nb, nt, 3, width - 1, k)
    names = {"A0": 0, "B0": 1, "B1": 2, "C0": 3, "C1": 4, "C2": 5}
    cands = ["A0A0A0", "B0B0B1", "B0B1B0", "B0B1B1", "B1B0B0", "B1B0B1", "B1B1B0",
             "C0C1C2", "C0C2C1", "C1C0C2", "C1C2C0", "C2C0C1", "C2C1C0"]
    total = 0.0
    for b, t, c in itertools.product(range(nb), range(nt), range(k)):
        def vec(name):
            row = targets[b, t, names[name], :, c]
            v = row[0] * row[1:4]
            return torch.cat([v, (row[0] > 0) * row[4:]]) if width == 5 else v

        def track_set(cand):
            return torch.stack([vec(cand[2 * i:2 * i + 2]) for i in range(3)])

        pads = {"A": track_set("B0B0B1") + track_set("C0C1C2"), "B": track_set("A0A0A0") + track_set("C0C1C2"),
                "C": track_set("A0A0A0") + track_set("B0B0B1")}
        weights = torch.tensor([1.0, 1.0, 1.0, distance_weight][:width - 1])
        total += min(float(((out[b, t, :, :, c] - track_set(n) - pads[n[0]]) ** 2 * weights).mean()) for n in cands)
    return total / (nb * nt * k)


def _slow_adpit_class(output: torch.Tensor, targets: torch.Tensor, c: int) -> float:
    """The ADPIT loss of class ``c`` alone (its mean over items and frames)."""
    return _slow_adpit(output[..., c::targets.shape[-1]], targets[..., c:c + 1])


@pytest.mark.parametrize("width", [4, 5])
def test_adpit_equals_the_candidate_by_candidate_definition(width):
    gen = torch.Generator().manual_seed(width)
    targets = torch.randn(2, 3, 6, width, 4, generator=gen)
    targets[:, :, :, 0] = (torch.rand(2, 3, 6, 4, generator=gen) < 0.4).float()  # groups may overlap here
    output = torch.randn(2, 3, 3 * (width - 1) * 4, generator=gen)
    assert float(adpit_loss(output, targets)) == pytest.approx(_slow_adpit(output, targets), rel=1e-5)


@pytest.mark.parametrize("weight", [0.1, 4.0])
def test_distance_weight_scales_the_squared_distance_errors_and_the_choice_of_candidate(weight):
    gen = torch.Generator().manual_seed(3)
    targets = torch.randn(2, 3, 6, 5, 4, generator=gen)
    targets[:, :, :, 0] = (torch.rand(2, 3, 6, 4, generator=gen) < 0.4).float()
    targets[:, :, :, 4] = 5 * torch.rand(2, 3, 6, 4, generator=gen)  # metres: distance errors dominate at weight 1
    output = torch.randn(2, 3, 3 * 4 * 4, generator=gen)
    expected = _slow_adpit(output, targets, weight)
    assert expected != pytest.approx(_slow_adpit(output, targets))
    method = get_method("maccdoa", distance=True, distance_weight=weight)
    assert float(method.loss(output, targets)) == pytest.approx(expected, rel=1e-5)

    method = get_method("accdoa", distance=True, distance_weight=weight)
    target, out = torch.zeros(2, 4, 4 * 5), torch.zeros(2, 4, 4 * 5)
    target[1, 2, 7] = 1.0                                   # axis y of class 2
    target[1, 2, 17] = 2.0                                  # the distance of class 2
    assert float(method.loss(out, target)) == pytest.approx((1 + 4 * weight) / target.numel())


@pytest.mark.parametrize("name", ["accdoa", "maccdoa"])
def test_a_distance_weight_without_distance_or_not_positive_is_refused(name):
    with pytest.raises(ConfigError, match="distance_weight=0.5 needs distance=true"):
        get_method(name, distance_weight=0.5)
    for bad in (0, -1, float("nan"), float("inf"), "abc", None):
        with pytest.raises(ConfigError, match="distance_weight must be a positive number"):
            get_method(name, distance=True, distance_weight=bad)
    assert get_method(name, distance_weight=1).distance_weight == 1.0


@pytest.mark.parametrize("case", ["maccdoa", "maccdoa-dist"])
def test_adpit_is_invariant_to_output_track_order_and_dummy_track_order(case, make_events):
    method = _method(case)
    targets = _batch(method, make_events, case)
    width = 4 if case == "maccdoa-dist" else 3
    output = _perturb(method.oracle(targets), 0.3)
    ref = float(method.loss(output, targets))
    nb, nt = output.shape[:2]
    tracks = output.reshape(nb, nt, 3, -1)
    for perm in itertools.permutations(range(3)):
        assert float(method.loss(tracks[:, :, list(perm)].reshape(nb, nt, -1), targets)) == pytest.approx(ref)
    for slots in ([0, 2, 1, 3, 4, 5], [0, 1, 2, 5, 3, 4], [0, 2, 1, 4, 5, 3]):
        assert float(method.loss(output, targets[:, :, slots])) == pytest.approx(ref)
    assert output.shape[-1] == 3 * width * 5


def _slow_tpit(output, targets, beta=0.5) -> float:
    """tPIT spelled out per (item, frame) over the 6 orders of the target tracks."""
    nb, nt = targets["sed"].shape[:2]
    total = 0.0
    for b, t in itertools.product(range(nb), range(nt)):
        best = min(beta * float(F.binary_cross_entropy_with_logits(output["sed"][b, t], targets["sed"][b, t, p]))
                   + (1 - beta) * float(F.mse_loss(output["doa"][b, t], targets["doa"][b, t, p]))
                   for p in map(list, itertools.permutations(range(3))))
        total += best
    return total / (nb * nt)


def test_einv2_tpit_equals_the_frame_by_frame_definition(make_events):
    method = get_method("einv2", beta=0.3)
    targets = _batch(method, make_events, "einv2", activity=True)
    output = _perturb(method.oracle(targets), 2.0)
    terms = method.loss_terms(output, targets)
    assert float(terms["loss"]) == pytest.approx(_slow_tpit(output, targets, beta=0.3), rel=1e-5)
    assert float(terms["loss"]) == pytest.approx(0.3 * float(terms["sed"]) + 0.7 * float(terms["doa"]), rel=1e-6)


def test_einv2_doa_loss_is_not_masked_on_empty_tracks(make_events):
    """PSELDNets' quirk, kept: an empty track is pulled towards the zero vector."""
    method = get_method("einv2")
    targets = _batch(method, make_events, "einv2")
    perfect = method.oracle(targets)
    empty = targets["sed"].sum(-1) == 0
    assert empty.any()
    moved = {"sed": perfect["sed"], "doa": perfect["doa"] + 0.5 * empty[..., None]}
    assert float(method.loss_terms(moved, targets)["doa"]) > 0.01


@pytest.mark.parametrize("case", ["einv2", "agg1", "agg2", "agg"])
def test_trackwise_losses_ignore_the_order_of_tracks_in_each_frame(case, make_events):
    method = _method(case)
    targets = _batch(method, make_events, case, activity=True)
    output = _perturb(method.oracle(targets), 0.5)
    ref = float(method.loss(output, targets))
    gen = torch.Generator().manual_seed(1)
    nb, nt = targets["sed"].shape[:2]
    order = torch.stack([torch.randperm(3, generator=gen) for _ in range(nb * nt)]).reshape(nb, nt, 3)

    def shuffle(x):
        return x.gather(2, order[..., None].expand_as(x))

    assert float(method.loss(output, {k: shuffle(v) for k, v in targets.items()})) == pytest.approx(ref, rel=1e-6)
    assert float(method.loss({k: shuffle(v) for k, v in output.items()}, targets)) == pytest.approx(ref, rel=1e-6)


def test_agg_mix_is_alpha_times_agg1_plus_the_rest_times_agg2(make_events):
    targets = _batch(get_method("agg1"), make_events, "agg1")
    output = _perturb(get_method("agg1").oracle(targets), 1.0)
    agg1 = float(get_method("agg1").loss(output, targets))
    agg2 = float(get_method("agg2").loss(output, targets))
    assert agg1 != pytest.approx(agg2)
    assert float(get_method("agg", alpha=0.25).loss(output, targets)) == pytest.approx(0.25 * agg1 + 0.75 * agg2)


def test_agg_normalises_the_predicted_direction(make_events):
    method = get_method("agg1")
    targets = _batch(method, make_events, "agg1")
    perfect = method.oracle(targets)
    longer = {"sed": perfect["sed"], "doa": 0.4 * perfect["doa"]}
    assert float(method.loss(longer, targets)) == pytest.approx(0.0, abs=1e-10)


def test_seddoa_loss_ignores_directions_of_inactive_classes_and_uses_seldnet_weights():
    method = get_method("seddoa")
    targets = {"sed": torch.tensor([[[1.0, 0.0]]]), "doa": torch.tensor([[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0]]])}
    output = {"sed": torch.tensor([[[0.0, 0.0]]]), "doa": torch.tensor([[[0.5, 9.0, 0.0, 9.0, 0.0, 9.0]]])}
    terms = method.loss_terms(output, targets)
    assert float(terms["sed"]) == pytest.approx(np.log(2.0))
    assert float(terms["doa"]) == pytest.approx(0.25 / 3)  # mean over the 3 entries of the active class
    assert float(terms["loss"]) == pytest.approx(np.log(2.0) + 50 * 0.25 / 3)


@pytest.mark.parametrize("case", list(METHOD_CASES))
def test_gradient_descent_on_a_free_output_drives_the_loss_down(case, make_events):
    method = _method(case)
    targets = _batch(method, make_events, case, seeds=(5,))
    gen = torch.Generator().manual_seed(0)
    start = _perturb(method.oracle(targets), 0.0)
    params = ({k: (0.1 * torch.randn(v.shape, generator=gen)).requires_grad_() for k, v in start.items()}
              if isinstance(start, dict) else (0.1 * torch.randn(start.shape, generator=gen)).requires_grad_())
    leaves = list(params.values()) if isinstance(params, dict) else [params]
    opt = torch.optim.Adam(leaves, lr=0.05)
    first = float(method.loss(params, targets).detach())
    for _ in range(100):
        opt.zero_grad()
        method.loss(params, targets).backward()
        opt.step()
    assert float(method.loss(params, targets).detach()) < 0.2 * first


def test_mismatched_output_shapes_are_reported_with_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 4, 12\).*\(2, 4, 15\)"):
        get_method("accdoa").loss(torch.zeros(2, 4, 12), torch.zeros(2, 4, 15))
    with pytest.raises(ValueError, match="maccdoa"):
        get_method("maccdoa").loss(torch.zeros(2, 4, 45), torch.zeros(2, 4, 6, 5, 5))


def test_class_weights_weigh_each_class_term_of_adpit_and_accdoa():
    gen = torch.Generator().manual_seed(7)
    targets = torch.randn(2, 3, 6, 4, 4, generator=gen)
    targets[:, :, :, 0] = (torch.rand(2, 3, 6, 4, generator=gen) < 0.4).float()
    output = torch.randn(2, 3, 3 * 3 * 4, generator=gen)
    weights = torch.tensor([0.5, 2.0, 1.0, 0.5])
    per_class = [_slow_adpit_class(output, targets, c) for c in range(4)]
    expected = sum(float(w) * v for w, v in zip(weights, per_class)) / 4
    assert float(adpit_loss(output, targets, weights)) == pytest.approx(expected, rel=1e-5)
    assert float(adpit_loss(output, targets, torch.ones(4))) == pytest.approx(float(adpit_loss(output, targets)))

    method = get_method("accdoa")
    target, out = torch.zeros(2, 4, 3 * 5), torch.zeros(2, 4, 3 * 5)
    target[1, 2, 7] = 1.0                                   # axis y of class 2
    method.class_weights = torch.tensor([1.0, 1.0, 3.0, 0.0, 0.0])
    assert float(method.loss(out, target)) == pytest.approx(3 / target.numel())
