"""End-to-end jobs the `losslab` command runs, one layer below `cli`.

- `train_table` — read a table, split, fit, evaluate, save (``losslab train``);
- `demo` — advise and compare on an embedded data set, then write the report (``losslab demo``).
"""
