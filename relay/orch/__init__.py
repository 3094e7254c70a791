"""Orchestration: which AI coding CLIs are installed, running a task on one of them as a
subprocess, choosing which one (routing), and the history of delegations in relay's database."""
