"""Session files of the AI coding CLIs: find them (discover), parse them into one model
(parsers), keep an incremental index of them (index, worker, state, analysis), and judge them
(detectors, composition); read the wire APIs' request bodies as the same message model (wire).
Nothing here is imported until a command needs it."""
