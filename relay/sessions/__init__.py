"""Session files of the AI coding CLIs: find them (discover), parse them into one model
(parsers), keep an incremental index of them (index, worker, state, analysis), and judge them
(detectors, composition). Nothing here is imported until a command needs it."""
