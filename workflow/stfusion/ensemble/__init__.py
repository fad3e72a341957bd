"""The ``ensemble`` family of fusion methods (issue 26): ``model: ensemble``, a stacked combination of other methods'
predictions, and ``model: best``, the one member with the lowest cross-validated RMSE. Neither trains a network nor
reads reference pairs: both combine the predictions their members (``methods.<name>.members``) made of a date.

Honest scoring without retraining per fold. A member's out-of-sample predictions are its predictions of the dates it
holds out: in pairs.json a prediction group's references never include its target, so a classical or naive method's
prediction of a pair date already leaves that pair out; a deep method holds out the dates that are neither its
training nor its validation targets (nor its pretrained autoencoder's), those ``summary_own_dates.tsv`` labels
``held_out`` (``evaluation.target_role``). The weights are fitted on the dates every member holds out (the common
dates of summary.tsv, ``cross_validation``) and scored leave-one-date-out: the weights applied to such a date are
fitted on the other common dates only. The other dates a method predicts get the weights of all common dates.

- ``stacking``: the weights (non-negative, summing to one, per band) and their application;
- ``best``: the choice of ``model: best``, as one-hot weights of the same form;
- ``members``: the members of an ensemble at a site and the checks of its config and of its fitting dates.
"""
