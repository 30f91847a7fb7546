"""Experiments: data, training, and the measurements each notebook makes on trained models.

- :mod:`.data`: natural patches from scikit-image's images, coloured shapes (nothing downloaded);
- :mod:`.training`: a seeded training loop with a progress bar;
- :mod:`.random_layers`: artifacts before training (random layers and generators);
- :mod:`.stacking`: stacked transposed convolutions and stride-1 dampening;
- :mod:`.learning`: what trained decoders do (effective overlap, colour, reconstruction);
- :mod:`.borders`: border artifacts of padding;
- :mod:`.backward`, :mod:`.gradients`, :mod:`.feature_vis`, :mod:`.gan`: checkerboards in
  gradients: the backward pass, input gradients by downsampling design, feature
  visualisation with jitter, a discriminator's imprint on the images it trains.

Import each from its module, e.g. ``from nbhelpers.experiments.stacking import analyze_stack``.
"""
