"""Results folders: what ``journeysim run`` writes, and reading it back.

A run writes, inside its output folder::

    events/rep-000.parquet ...   one event log per replication
    measures.csv                 every official measure, by replication and year
    summary.csv                  mean, 95% confidence interval and 5-95% range across replications
    costs.csv                    annual cost by component (GBP), by replication and year
    costs_summary.csv            the costs' mean, 95% confidence interval and range across replications
    measures_dictionary.csv      each measure's and cost's name, unit, definition and precision
    scenario.toml                the fully resolved scenario (every parameter's value)
    manifest.json                scenario, seed, replication seeds, version, git commit, the SHA-256 of
                                 every log and of every other file the run wrote
    parameter_draws.csv          with run.parameter_draws: the draws the replications ran at

:mod:`.writer` builds the folder while the run goes on, as ``<out>.incomplete``
renamed into place only when complete, and keeps an interrupted run so that it can
be resumed; :mod:`.reader` reads a finished folder.
"""
