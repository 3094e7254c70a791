"""i18n: every key in both languages, Accept-Language with q-values, RELAY_LANG, /api/v1/i18n."""
import pytest

from relay.web import i18n


def test_every_key_exists_in_every_language():
    assert set(i18n.MESSAGES["en"]) == set(i18n.MESSAGES["ko"])
    assert all(i18n.MESSAGES["ko"][k] for k in i18n.MESSAGES["ko"])


@pytest.mark.parametrize("header, expected", [
    ("ko-KR,ko;q=0.9,en-US;q=0.8", "ko"),
    ("en-US,en;q=0.9,ko;q=0.8", "en"),
    ("fr;q=1.0, ko;q=0.5, en;q=0.4", "ko"),     # first supported by q, not by position
    ("en;q=0.2, ko;q=0.7", "ko"),
    ("ko;q=0, en;q=0.1", "en"),                 # q=0 means "not this one"
    ("fr, de", "en"),
    ("", "en"),
    (None, "en"),
    ("ko;q=bogus, en", "en"),
])
def test_accept_language_picks_the_best_supported_language(header, expected):
    assert i18n.choose("auto", header) == expected


def test_setting_overrides_the_browser():
    assert i18n.choose("en", "ko") == "en"
    assert i18n.choose("ko", "en-US") == "ko"


def test_translator_fills_fields():
    assert "30" in i18n.translator("ko")("display.none", minutes=30)


def test_api_i18n(client):
    body = client.get("/api/v1/i18n?lang=ko").get_json()
    assert body["ok"] and body["lang"] == "ko" and body["messages"]["nav.dashboard"] == "대시보드"
    assert client.get("/api/v1/i18n", headers={"Accept-Language": "ko"}).get_json()["lang"] == "ko"
    bad = client.get("/api/v1/i18n?lang=fr")
    assert bad.status_code == 400 and "en, ko" in bad.get_json()["error"]


@pytest.mark.parametrize("path", ["/dashboard/", "/display/", "/history/"])
def test_pages_follow_accept_language(client, path):
    ko = client.get(path, headers={"Accept-Language": "ko-KR,ko;q=0.9"}).get_data(as_text=True)
    en = client.get(path, headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert '<html lang="ko">' in ko and "대시보드" in ko
    assert '<html lang="en">' in en and "Dashboard" in en and "대시보드" not in en


def test_relay_lang_beats_accept_language(store, monkeypatch):
    from relay import config
    from relay.bus import Bus
    from relay.web.app import create_app

    monkeypatch.setenv("RELAY_LANG", "ko")
    app = create_app(config.load({}), store, Bus(), upstream=None)
    page = app.test_client().get("/dashboard/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ko">' in page and "턴 모니터" in page


def test_bad_relay_lang_is_a_clear_error(monkeypatch):
    from relay import config
    from relay.errors import ConfigError

    monkeypatch.setenv("RELAY_LANG", "fr")
    with pytest.raises(ConfigError, match="RELAY_LANG|lang"):
        config.load({})
