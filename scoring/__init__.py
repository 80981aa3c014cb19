"""Pure scoring math: no I/O, no framework imports (numpy and scipy only). See docs/scoring.md.

- ``scoring.weights``: ``Weights.default()``, ``Weights.from_mapping(...)``, ``.hash``
- ``scoring.blend``: ``blend(list[PersonaScores], weights, level) -> Blend``
- ``scoring.priority``: ``exploration_priority(...)``, ``rank_for_reevaluation(...)``
- ``scoring.lmsr``: ``MarketState``, ``trade_toward(...)``, ``replay(b, trades)``
- ``scoring.exchange``: ``debate_trades(state, list[Stance], quality) -> list[Trade]``
- ``scoring.tournament``: ``match_outcome``, ``single_outcome``, ``fit_bradley_terry``,
  ``elo_update``, ``kendall_tau``
- ``scoring.bt_posterior``: ``tally``, ``fit_posterior`` (Bradley–Terry with the judge's
  position bias, at a given spread of strengths), ``laplace_fit`` (the same with its evidence),
  ``components``
- ``scoring.bt_spread``: ``fit_spread(counts) -> SpreadFit`` (the spread learnt, integrated out)
- ``scoring.bt_ratings``: ``rate(matches) -> RatingFit`` (ratings of record: by component,
  unrated below ``MIN_DECIDED``)
- ``scoring.pairing``: ``choose_pairs(posterior, groups, k, component=..., top_k=...)``,
  ``shown_first``
- ``scoring.eligible_pairs``: ``EligiblePairs`` (the pairs within groups, a block at a time),
  ``BestPairs`` (the best few of all the blocks)
- ``scoring.calibration``: ``brier``, ``update_believability``
- ``scoring.student``: ``t_value(level, df)``, Student's t quantiles for the blend's intervals
- ``scoring.legends``: the one-line legends of the exchange rating, composite and interval
"""
