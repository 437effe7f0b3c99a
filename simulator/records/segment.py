"""Web and app events in the Segment Spec (analytics.js, analytics-ios, analytics-android)."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random
from typing import Any

from simulator.messy import uuid4
from simulator.timefmt import iso_local_ms, iso_utc_ms

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36",
)
BOT_USER_AGENTS = (
    "Mozilla/5.0 (compatible; ExampleBot/2.1; +https://bot.example.com)",
    "python-requests/2.32.3",
    "curl/8.5.0",
)
DEVICES = (
    ("Apple", "iPhone15,2", "ios", "iOS", "17.5"),
    ("Apple", "iPhone16,1", "ios", "iOS", "18.1"),
    ("Apple", "iPad13,4", "ios", "iPadOS", "17.4"),
    ("Google", "Pixel 8", "android", "Android", "14"),
    ("Samsung", "SM-S918B", "android", "Android", "14"),
)
#: The household tablet: the one model an install on it reports, whoever uses it.
SHARED_TABLET_MODEL = next(index for index, device in enumerate(DEVICES) if device[3] == "iPadOS")
SITE = "https://shop.example.com"


@dataclass
class Device:
    """An app install: the device and the anonymous id the app keeps on it."""

    device_id: str
    anonymous_id: str
    model: int
    advertising_id: str


@dataclass
class Visit:
    """One session's constants; `clock` moves forward as events are emitted."""

    channel: str
    anonymous_id: str
    user_id: str | None
    timezone: str
    locale: str
    ip: str
    clock: float
    user_agent: str = USER_AGENTS[0]
    device: Device | None = None
    campaign: dict[str, str] | None = None
    referrer: str | None = None
    times: dict[str, float] = field(default_factory=dict)

    def _base(self, rng: Random, kind: str) -> dict[str, Any]:
        stamp = (
            iso_utc_ms(self.clock)
            if self.channel == "web"
            else iso_local_ms(self.clock, self.timezone)
        )
        event: dict[str, Any] = {
            "messageId": uuid4(rng) if self.channel == "web" else uuid4(rng).upper(),
            "type": kind,
            "timestamp": stamp,
            "sentAt": iso_utc_ms(self.clock + rng.random() * 2),
            "receivedAt": iso_utc_ms(self.clock + 2 + rng.random() * 3),
            "anonymousId": self.anonymous_id,
        }
        self.times[event["messageId"]] = self.clock
        if self.user_id:
            event["userId"] = self.user_id
        event["context"] = self._context()
        return event

    def _context(self) -> dict[str, Any]:
        context: dict[str, Any] = {"ip": self.ip, "locale": self.locale, "timezone": self.timezone}
        if self.channel == "web":
            context["userAgent"] = self.user_agent
            context["library"] = {"name": "analytics.js", "version": "5.2.1"}
        else:
            assert self.device is not None
            maker, model, kind, os_name, os_version = DEVICES[self.device.model]
            is_ios = kind == "ios"
            context["library"] = {
                "name": "analytics-ios" if is_ios else "analytics-android",
                "version": "4.1.8" if is_ios else "4.11.3",
            }
            context["app"] = {"name": "Brewline", "version": "3.4.0", "build": "3400"}
            context["device"] = {
                "id": self.device.device_id,
                "advertisingId": self.device.advertising_id,
                "manufacturer": maker,
                "model": model,
                "type": kind,
            }
            context["os"] = {"name": os_name, "version": os_version}
        if self.campaign:
            context["campaign"] = self.campaign
        return context

    def tick(self, rng: Random, mean_seconds: float) -> None:
        self.clock += 3 + rng.expovariate(1 / mean_seconds)

    def view(self, rng: Random, name: str, path: str, search: str = "") -> dict[str, Any]:
        """A `page` call on the web, a `screen` call in the app."""
        if self.channel == "web":
            event = self._base(rng, "page")
            event["name"] = name
            event["context"]["page"] = {
                "path": path,
                "referrer": self.referrer or "",
                "search": search,
                "title": f"{name} | Brewline",
                "url": f"{SITE}{path}{search}",
            }
            event["properties"] = {"path": path, "url": f"{SITE}{path}{search}"}
            self.referrer = f"{SITE}{path}"
        else:
            event = self._base(rng, "screen")
            event["name"] = name
            event["properties"] = {"screen_class": name.replace(" ", "") + "View"}
        return event

    def track(self, rng: Random, name: str, properties: dict[str, Any]) -> dict[str, Any]:
        event = self._base(rng, "track")
        event["event"] = name
        event["properties"] = properties
        return event

    def identify(self, rng: Random, traits: dict[str, Any]) -> dict[str, Any]:
        event = self._base(rng, "identify")
        event["traits"] = traits
        return event

    def alias(self, rng: Random, previous_id: str) -> dict[str, Any]:
        event = self._base(rng, "alias")
        event["previousId"] = previous_id
        return event


def user_agent_for(index: int) -> str:
    return USER_AGENTS[index % len(USER_AGENTS)]


def product_properties(sku: str, name: str, price: float, quantity: int = 1) -> dict[str, Any]:
    return {
        "product_id": sku.lower(),
        "sku": sku,
        "name": name,
        "price": price,
        "currency": "USD",
        "quantity": quantity,
    }
