"""The planners' and trainers' web app (``journeysim app``).

Its logic lives in plain modules that the tests call directly: :mod:`.limits` (what a run
started from a web page may cost, and which addresses the server may listen on),
:mod:`.draft` (a scenario as a planner builds it: a base file of the scenario folder or an
upload, and the levers' changes, written as one TOML file that the command line runs too),
:mod:`.levers` (the plain controls, their units and ranges read from the parameter schema),
:mod:`.jobs` (runs and comparisons in the background, with progress), :mod:`.views` (the
tables and figures of a results folder) and :mod:`.spreadsheet`'s use in downloads.
:mod:`.page` is the Streamlit page: a thin layer over them.
"""
