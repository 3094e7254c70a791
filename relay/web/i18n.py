"""Page strings in English and Korean, and which language a request gets.

The language is RELAY_LANG when set to a language (not "auto"), else the best Accept-Language
match by q-value, else English. Every key exists in every language (a test checks), so a page
never shows a key name; strings are plain text and go through Jinja's autoescape like any value.
"""
LANGUAGES = ("en", "ko")
DEFAULT = "en"

MESSAGES = {
    "en": {
        "nav.dashboard": "Dashboard", "nav.display": "Live sessions", "nav.history": "History",
        "nav.requests": "Requests",
        "login.title": "Sign in", "login.token": "Access token",
        "login.intro": "This relay needs the access token you were given (relay tokens add).",
        "login.failed": "That token is not valid.", "login.submit": "Sign in", "login.logout": "Sign out",
        "live.connecting": "connecting…", "live.on": "live", "live.off": "offline, retrying",
        "common.none": "—", "common.not_available": "not available",
        "dashboard.title": "Dashboard",
        "dashboard.summary": "Today", "dashboard.requests_today": "requests today",
        "dashboard.in_flight": "open now", "dashboard.cost_today": "cost today",
        "dashboard.cost_by_model": "Cost today by model", "dashboard.model": "model",
        "dashboard.cost": "cost", "dashboard.unpriced": "unpriced",
        "dashboard.error_rate": "error rate (1 h)", "dashboard.cache_hit": "cache hit rate (today)",
        "dashboard.quota": "Quota", "dashboard.window": "window", "dashboard.used": "used",
        "dashboard.resets": "resets",
        "dashboard.quota_estimated": "estimated from activity (no rate-limit headers seen)",
        "dashboard.quota_none": "no quota data yet",
        "dashboard.cli_status": "CLI status", "dashboard.cli_status_missing":
            "CLI status could not be read (see relay's log).",
        "dashboard.cli": "CLI", "dashboard.installed": "installed", "dashboard.auth": "auth",
        "dashboard.guard": "Guard", "dashboard.guard_missing": "Guard state could not be read (see relay's log).",
        "dashboard.delegations": "Delegation history",
        "dashboard.delegations_missing": "Delegation history could not be read (see relay's log).",
        "dashboard.version": "version", "dashboard.version_unknown": "installed (version unknown)",
        "dashboard.not_installed": "not installed",
        "auth.env": "API key in environment", "auth.login": "logged in", "auth.none": "not signed in",
        "dashboard.guard_replayed": "No relay is running: replayed from stored exchanges, without alerts.",
        "dashboard.zone": "zone", "dashboard.tier": "tier", "dashboard.value": "now",
        "dashboard.thresholds": "notice / warn / critical", "dashboard.alerts": "Latest alerts",
        "dashboard.no_alerts": "No alerts since relay started.",
        "zone.quota": "quota", "zone.context": "context (worst session)",
        "tier.ok": "ok", "tier.notice": "notice", "tier.warn": "warn", "tier.critical": "critical",
        "dashboard.delegations_none": "No delegations yet (relay delegate).",
        "dashboard.attempts": "attempts", "dashboard.success_rate": "success", "dashboard.avg_ms": "avg ms",
        "dashboard.turn_monitor": "Turn Monitor", "dashboard.requests": "Requests (live)",
        "dashboard.no_requests": "No requests yet. Point a client at this address:",
        "req.time": "time", "req.provider": "provider", "req.model": "model",
        "req.session": "session", "req.status": "status",
        "req.outcome": "outcome", "req.input": "input", "req.output": "output",
        "req.cache_write": "cache write 5m / 1h", "req.cache_read": "cache read", "req.ttfb": "ttfb ms",
        "req.open": "open",
        "display.title": "Live sessions", "display.none": "No live sessions in the last {minutes} minutes.",
        "display.turns": "turns", "display.context": "context", "display.composition": "composition",
        "display.composition_missing": "composition needs history capture (RELAY_HISTORY=1)",
        "display.prune_anthropic_only": "pruning applies to Claude Code (Anthropic) requests only; "
                                        "this CLI's requests are never pruned",
        "display.last_prompt": "last prompt", "display.no_prompt": "no prompt captured",
        "display.last_seen": "last seen", "display.via_proxy": "via relay",
        "display.as_of_scan": "as of the last relay scan", "display.running": "running",
        "display.of_window": "of {tokens} tokens", "display.guard_tier": "guard context tier",
        "display.connection": "connection",
        "history.title": "History", "history.none": "No captured history. Start relay with RELAY_HISTORY=1.",
        "history.session": "session", "history.turns": "turns", "history.compactions": "compactions",
        "history.first": "first", "history.last": "last", "history.max_tokens": "largest context (est.)",
        "history.timeline": "Timeline", "history.turn": "turn", "history.kind": "snapshot",
        "history.messages": "messages", "history.tokens_est": "tokens (est.)",
        "history.tokens_measured": "tokens (measured)", "history.compaction": "compaction",
        "history.cache_break": "cache break",
        "history.window_by_server": "window by MCP server",
        "display.mcp_estimate": "tool schema tokens from characters, calibrated on the measured prompt (+-25 %)",
        "history.back": "all sessions", "history.request": "Request", "history.response": "Response",
        "history.no_response": "no response captured", "history.chars": "chars", "history.session_link": "session",
        "cat.user_text": "user text", "cat.assistant_text": "assistant text", "cat.tool_use": "tool use",
        "cat.tool_result": "tool results", "cat.thinking_overhead": "thinking", "cat.system": "system",
        "cat.system_prompt": "system prompt", "cat.tool_schemas": "tool schemas",
    },
    "ko": {
        "nav.dashboard": "대시보드", "nav.display": "실시간 세션", "nav.history": "기록",
        "nav.requests": "요청",
        "login.title": "로그인", "login.token": "액세스 토큰",
        "login.intro": "이 relay에는 발급받은 액세스 토큰이 필요합니다 (relay tokens add).",
        "login.failed": "유효하지 않은 토큰입니다.", "login.submit": "로그인", "login.logout": "로그아웃",
        "live.connecting": "연결 중…", "live.on": "실시간", "live.off": "오프라인, 재시도 중",
        "common.none": "—", "common.not_available": "사용할 수 없음",
        "dashboard.title": "대시보드",
        "dashboard.summary": "오늘", "dashboard.requests_today": "오늘 요청 수",
        "dashboard.in_flight": "진행 중", "dashboard.cost_today": "오늘 비용",
        "dashboard.cost_by_model": "모델별 오늘 비용", "dashboard.model": "모델",
        "dashboard.cost": "비용", "dashboard.unpriced": "가격 미확인",
        "dashboard.error_rate": "오류율 (1시간)", "dashboard.cache_hit": "캐시 적중률 (오늘)",
        "dashboard.quota": "사용 한도", "dashboard.window": "기간", "dashboard.used": "사용률",
        "dashboard.resets": "초기화", "dashboard.quota_estimated": "활동 기반 추정치 (속도 제한 헤더 없음)",
        "dashboard.quota_none": "아직 한도 데이터가 없습니다",
        "dashboard.cli_status": "CLI 상태", "dashboard.cli_status_missing":
            "CLI 상태를 읽지 못했습니다 (relay 로그 참고).",
        "dashboard.cli": "CLI", "dashboard.installed": "설치됨", "dashboard.auth": "인증",
        "dashboard.guard": "가드", "dashboard.guard_missing": "가드 상태를 읽지 못했습니다 (relay 로그 참고).",
        "dashboard.delegations": "위임 기록",
        "dashboard.delegations_missing": "위임 기록을 읽지 못했습니다 (relay 로그 참고).",
        "dashboard.version": "버전", "dashboard.version_unknown": "설치됨 (버전 알 수 없음)",
        "dashboard.not_installed": "설치되지 않음",
        "auth.env": "환경 변수의 API 키", "auth.login": "로그인됨", "auth.none": "로그인 안 됨",
        "dashboard.guard_replayed": "실행 중인 relay가 없습니다: 저장된 요청으로 재구성했으며 알림은 없습니다.",
        "dashboard.zone": "영역", "dashboard.tier": "단계", "dashboard.value": "현재",
        "dashboard.thresholds": "알림 / 경고 / 위험", "dashboard.alerts": "최근 알림",
        "dashboard.no_alerts": "relay 시작 이후 알림이 없습니다.",
        "zone.quota": "사용 한도", "zone.context": "컨텍스트 (가장 높은 세션)",
        "tier.ok": "정상", "tier.notice": "알림", "tier.warn": "경고", "tier.critical": "위험",
        "dashboard.delegations_none": "아직 위임 기록이 없습니다 (relay delegate).",
        "dashboard.attempts": "시도", "dashboard.success_rate": "성공률", "dashboard.avg_ms": "평균 ms",
        "dashboard.turn_monitor": "턴 모니터", "dashboard.requests": "요청 (실시간)",
        "dashboard.no_requests": "아직 요청이 없습니다. 클라이언트를 이 주소로 지정하세요:",
        "req.time": "시간", "req.provider": "제공자", "req.model": "모델", "req.session": "세션", "req.status": "상태",
        "req.outcome": "결과", "req.input": "입력", "req.output": "출력",
        "req.cache_write": "캐시 쓰기 5분 / 1시간", "req.cache_read": "캐시 읽기", "req.ttfb": "첫 바이트 ms",
        "req.open": "진행 중",
        "display.title": "실시간 세션", "display.none": "최근 {minutes}분 동안 활성 세션이 없습니다.",
        "display.turns": "턴", "display.context": "컨텍스트", "display.composition": "구성",
        "display.composition_missing": "구성을 보려면 기록 캡처가 필요합니다 (RELAY_HISTORY=1)",
        "display.prune_anthropic_only": "정리(pruning)는 Claude Code(Anthropic) 요청에만 적용되며 "
                                        "이 CLI의 요청은 정리되지 않습니다",
        "display.last_prompt": "마지막 프롬프트", "display.no_prompt": "캡처된 프롬프트 없음",
        "display.last_seen": "마지막 활동", "display.via_proxy": "relay 경유",
        "display.as_of_scan": "마지막 relay scan 기준", "display.running": "실행 중",
        "display.of_window": "/ {tokens} 토큰", "display.guard_tier": "가드 컨텍스트 단계",
        "display.connection": "연결",
        "history.title": "기록", "history.none": "캡처된 기록이 없습니다. RELAY_HISTORY=1로 relay를 시작하세요.",
        "history.session": "세션", "history.turns": "턴", "history.compactions": "압축",
        "history.first": "시작", "history.last": "마지막", "history.max_tokens": "최대 컨텍스트 (추정)",
        "history.timeline": "타임라인", "history.turn": "턴", "history.kind": "스냅샷",
        "history.messages": "메시지", "history.tokens_est": "토큰 (추정)",
        "history.tokens_measured": "토큰 (측정)", "history.compaction": "압축", "history.cache_break": "캐시 깨짐",
        "history.window_by_server": "MCP 서버별 컨텍스트",
        "display.mcp_estimate": "도구 스키마 토큰은 문자 수로 추정, 측정된 프롬프트로 보정 (+-25 %)",
        "history.back": "전체 세션", "history.request": "요청", "history.response": "응답",
        "history.no_response": "캡처된 응답 없음", "history.chars": "자", "history.session_link": "세션",
        "cat.user_text": "사용자 입력", "cat.assistant_text": "어시스턴트 응답", "cat.tool_use": "도구 호출",
        "cat.tool_result": "도구 결과", "cat.thinking_overhead": "사고", "cat.system": "시스템",
        "cat.system_prompt": "시스템 프롬프트", "cat.tool_schemas": "도구 스키마",
    },
}


# Charts, the full conversation, card insights and error pages (issue 18).
MESSAGES["en"].update({
    "charts.title": "Over time", "charts.cost_hourly": "Cost per hour (last 48 h), by model",
    "charts.cost_daily": "Cost per day (last 30 days, UTC), by model",
    "charts.tokens": "Tokens per hour by kind (last 48 h)", "charts.rates": "Cache hit rate and error rate per hour",
    "charts.cache_hit": "cache hit rate", "charts.error_rate": "error rate",
    "charts.quota": "Quota {family} {window}: utilization", "charts.now_used": "{pct}% used now",
    "charts.resets": "resets", "charts.projection": "at this pace {pct}% at the reset",
    "charts.empty_traffic": "No traffic in this period yet: point a CLI at relay (see Requests below).",
    "charts.empty_quota": "No measurement in this window yet; it appears after the next request.",
    "charts.quota_none": "No quota measured yet: quota appears after a request through a subscription login.",
    "charts.missing": "Charts could not be read (see relay's log).",
    "charts.context": "Context per turn by category, cache writes and compactions",
    "charts.cache_write": "cache write (measured)",
    "kind.input": "input", "kind.output": "output", "kind.cache_write_5m": "cache write 5m",
    "kind.cache_write_1h": "cache write 1h", "kind.cache_read": "cache read",
    "display.snr": "signal-to-noise", "display.snr_help": "(user + assistant text) / all content",
    "display.cache_hit": "cache hit", "display.duplicate_reads": "duplicate reads",
    "display.duplicate_none": "no file read twice", "display.times": "reads", "display.wasted": "tokens wasted",
    "history.cost": "cost", "history.system_prompt": "System prompt", "history.tools": "Tools offered",
    "history.image": "image", "history.show_all": "show all", "history.error_result": "error",
    "history.thinking": "thinking", "history.tool_input": "input",
    "error.title": "Error", "error.back": "Back to the dashboard",
})
MESSAGES["ko"].update({
    "charts.title": "시간별 추이", "charts.cost_hourly": "시간별 비용 (최근 48시간), 모델별",
    "charts.cost_daily": "일별 비용 (최근 30일, UTC), 모델별",
    "charts.tokens": "시간별 토큰 종류 (최근 48시간)", "charts.rates": "시간별 캐시 적중률과 오류율",
    "charts.cache_hit": "캐시 적중률", "charts.error_rate": "오류율",
    "charts.quota": "할당량 {family} {window}: 사용률", "charts.now_used": "현재 {pct}% 사용",
    "charts.resets": "초기화", "charts.projection": "이 속도면 초기화 시점에 {pct}%",
    "charts.empty_traffic": "이 기간에 트래픽이 없습니다: CLI를 relay로 연결하세요 (아래 요청 참고).",
    "charts.empty_quota": "이 구간에 측정값이 없습니다; 다음 요청 후 나타납니다.",
    "charts.quota_none": "측정된 할당량이 없습니다: 구독 로그인으로 요청하면 나타납니다.",
    "charts.missing": "차트를 읽을 수 없습니다 (relay 로그 참고).",
    "charts.context": "턴별 컨텍스트 구성, 캐시 쓰기와 압축",
    "charts.cache_write": "캐시 쓰기 (측정)",
    "kind.input": "입력", "kind.output": "출력", "kind.cache_write_5m": "캐시 쓰기 5분",
    "kind.cache_write_1h": "캐시 쓰기 1시간", "kind.cache_read": "캐시 읽기",
    "display.snr": "신호 대 잡음비", "display.snr_help": "(사용자 + 어시스턴트 텍스트) / 전체",
    "display.cache_hit": "캐시 적중", "display.duplicate_reads": "중복 읽기",
    "display.duplicate_none": "두 번 읽은 파일 없음", "display.times": "회", "display.wasted": "낭비된 토큰",
    "history.cost": "비용", "history.system_prompt": "시스템 프롬프트", "history.tools": "제공된 도구",
    "history.image": "이미지", "history.show_all": "모두 보기", "history.error_result": "오류",
    "history.thinking": "사고", "history.tool_input": "입력",
    "error.title": "오류", "error.back": "대시보드로 돌아가기",
})


# The dashboard's team section (issue 21).
MESSAGES["en"].update({
    "team.title": "Team", "team.period": "period", "team.person": "person", "team.everyone": "everyone",
    "team.show": "show", "team.people": "Spend per person", "team.by_cli": "Spend per CLI",
    "team.by_model": "Spend per model", "team.walls": "Closest to a quota wall",
    "team.walls_none": "No quota window measured in this period.",
    "team.none": "No proxied requests in this period.", "team.requests": "requests",
    "team.total": "total", "team.closest": "closest wall",
    "team.missing": "The team view could not be read (see relay's log).",
})
MESSAGES["ko"].update({
    "team.title": "팀", "team.period": "기간", "team.person": "사용자", "team.everyone": "전체",
    "team.show": "보기", "team.people": "사용자별 비용", "team.by_cli": "CLI별 비용",
    "team.by_model": "모델별 비용", "team.walls": "사용 한도에 가장 가까운 사용자",
    "team.walls_none": "이 기간에 측정된 사용 한도가 없습니다.",
    "team.none": "이 기간에 프록시된 요청이 없습니다.", "team.requests": "요청",
    "team.total": "합계", "team.closest": "가장 가까운 한도",
    "team.missing": "팀 보기를 읽을 수 없습니다 (relay 로그 참조).",
})


def parse_accept_language(header):
    """Language tags of an Accept-Language header, best first (q-values honoured, q=0 dropped)."""
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        tag = fields[0].lower()
        if not tag:
            continue
        q = 1.0
        for param in fields[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def choose(setting, accept_language):
    """The language for one request: the setting unless "auto", else Accept-Language, else English."""
    if setting and setting != "auto":
        return setting
    for tag in parse_accept_language(accept_language):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
        if tag == "*":
            return DEFAULT
    return DEFAULT


def messages(lang):
    return MESSAGES[lang if lang in MESSAGES else DEFAULT]


def translator(lang):
    """t(key, **fields) for templates; format fields are filled in before autoescape."""
    table = messages(lang)

    def t(key, **fields):
        text = table[key]
        return text.format(**fields) if fields else text
    return t
