"""journeysim: a discrete-event, event-sourced simulator of children's social care case journeys."""

__version__ = "0.1.0"
