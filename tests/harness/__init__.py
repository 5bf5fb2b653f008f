"""The contract-test harness: property tests where the contract, the client and the mock judge the same
requests, a lifecycle state machine, and the live suite (``pytest --live``)."""
