"""Payment gateways behind one interface (see `base.py`)."""
