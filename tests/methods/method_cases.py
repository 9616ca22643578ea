"""Every method configuration the method tests run, with the polyphony its targets represent exactly."""

#: case -> (options of get_method, instances of one class per frame the encoding represents)
METHOD_CASES = {
    "accdoa": ({}, 1),
    "accdoa-dist": ({"distance": True}, 1),
    "maccdoa": ({}, 3),
    "maccdoa-dist": ({"distance": True}, 3),
    "einv2": ({}, 3),
    "agg1": ({}, 3),
    "agg2": ({}, 3),
    "agg": ({"alpha": 0.5}, 3),
    "seddoa": ({}, 1),
}
