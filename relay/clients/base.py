"""What the three client modules share: where a CLI's home is and how its login is detected."""
import os
from pathlib import Path


def user_home(environ=None):
    env = os.environ if environ is None else environ
    return Path(env.get("HOME") or Path.home())


def cli_home(env_var, dotdir, environ=None):
    """`env_var` when set (tests always set it), else ~/<dotdir>."""
    env = os.environ if environ is None else environ
    if env.get(env_var):
        return Path(env[env_var]).expanduser()
    return user_home(env) / dotdir


def auth(home, environ, auth_env, auth_files):
    """{"state": "env"|"login"|"none", "env": [names set], "files": [names present]}: an API key in
    the environment wins over a subscription login kept in the CLI's home. Names only, never values."""
    env = os.environ if environ is None else environ
    names = [v for v in auth_env if env.get(v)]
    files = [f for f in auth_files if (home / f).is_file()]
    return {"state": "env" if names else "login" if files else "none", "env": names, "files": files}
