"""A local HTTPS fake of the reads `make preflight` sends: ARM (providers, resource SKUs, usages, marketplace images,
permissions), Microsoft Graph (service principals) and the Batch data plane (supported images), on 127.0.0.1 with
trustme certificates, all on one URL.

Bodies are the REST specs' own examples (tests/data/preflight, SOURCE.md there; the supported images come from
fakes/data/batch, via fakes/batch.py): each element the fake returns is a copy of the example's element with only the
fields a scenario is about set. Rules the fake enforces, each traced:
- every request carries a bearer token for the endpoint's audience (the unsigned test tokens of
  components.common.loopback; ARM and Graph: the fake's URL, Batch: https://batch.core.windows.net/), else 401;
- every ARM request carries `api-version`, else 400 MissingApiVersionParameter (ARM's common error for it; the specs
  declare `api-version` required on each operation);
- ResourceSkus_List takes only a location `$filter` (`Microsoft.Compute/Skus/stable/2021-07-01/skus.json`: "Only
  location filter is supported currently") and returns the SKUs of that location; a restriction is a
  `ResourceSkuRestrictions` entry of type Location, reasonCode NotAvailableForSubscription (same file);
- VirtualMachineImages_Get of a version that doesn't exist, and Permissions_ListForResourceGroup of a group that
  doesn't exist, answer 404 with ARM's error body (the specs' `default` error response, `CloudError`);
  VirtualMachineImages_List honours `$top` and `$orderby=name desc`;
- Graph answers 403 Authorization_RequestDenied when the scenario denies directory reads (Graph v1.0 "Microsoft Graph
  error responses": 403 for insufficient privileges), and filters service principals by `appId eq '...'`.
Every request is recorded (`FakeSubscription.requests`), so the tests can assert the tool only reads.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from components.settings import BATCH_SERVICE_PRINCIPAL_APP_ID
from fakes.batch import default_supported_images
from fakes.tls import LoopbackHttpsServer
from fakes.tokens import accepts_test_token

DATA = Path(__file__).resolve().parents[1] / "data" / "preflight"
BATCH_AUDIENCE = "https://batch.core.windows.net/"
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
# Contributor's permissions (the built-in role definition b24988ac-6180-42a0-ab88-20f7382dd24c): everything but
# writing and deleting authorization, so no role assignment.
CONTRIBUTOR = {
    "actions": ["*"],
    "notActions": [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
        "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write",
        "Microsoft.Purview/consents/delete",
    ],
}
OWNER = {"actions": ["*"], "notActions": []}


def example(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


@dataclass(frozen=True)
class Size:
    family: str
    vcpus: int
    spot_capable: bool = True
    restriction: str | None = None  # a Location restriction's reasonCode


@dataclass
class Scenario:
    location: str = "westeurope"
    providers: dict[str, str] = field(
        default_factory=lambda: dict.fromkeys(
            [
                "Microsoft.Storage",
                "Microsoft.Compute",
                "Microsoft.Batch",
                "Microsoft.Network",
                "Microsoft.ManagedIdentity",
                "Microsoft.KeyVault",
            ],
            "Registered",
        )
    )
    sizes: dict[str, Size] = field(
        default_factory=lambda: {
            "Standard_D2ds_v5": Size("standardDDSv5Family", 2),
            "Standard_D4ds_v5": Size("standardDDSv5Family", 4),
        }
    )
    # Usage name -> (currentValue, limit)
    usages: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {"standardDDSv5Family": (0, 10), "cores": (0, 10), "lowPriorityCores": (0, 100)}
    )
    # (publisher, offer, sku) lowercase -> versions
    images: dict[tuple[str, str, str], list[str]] = field(
        default_factory=lambda: {("canonical", "ubuntu-24_04-lts", "server"): ["24.04.202610010", "24.04.202611200"]}
    )
    supported_images: list[dict[str, Any]] = field(default_factory=default_supported_images)
    resource_groups: dict[str, list[dict[str, list[str]]]] = field(default_factory=lambda: {"shared-rg": [OWNER]})
    batch_principals: list[str] = field(default_factory=lambda: ["00000000-0000-4000-8000-0000000000ba"])
    graph_denied: bool = False


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class FakeSubscription:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.base_url = ""
        self.requests: list[tuple[str, str]] = []  # (method, path?query)
        self._lock = threading.Lock()

    # --- ARM -------------------------------------------------------------------------------------------------------

    def provider(self, namespace: str) -> tuple[int, Any]:
        state = next((s for n, s in self.scenario.providers.items() if n.lower() == namespace.lower()), "NotRegistered")
        body = copy.deepcopy(example("Resources_Providers_Get.json")["responses"]["200"]["body"])
        body.update(
            id=f"/subscriptions/{SUBSCRIPTION}/providers/{namespace}", namespace=namespace, registrationState=state
        )
        return 200, body

    def skus(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        wanted = re.fullmatch(r"location eq '([^']+)'", (query.get("$filter") or [""])[0])
        if query.get("$filter") and wanted is None:
            return 400, _error("InvalidFilter", "Only location filter is supported currently")
        template = example("Compute_ResourceSkus_ListForARegion.json")["responses"]["200"]["body"]["value"][1]
        location = self.scenario.location
        value = []
        if wanted is None or wanted.group(1).lower() == location:
            for name, size in self.scenario.sizes.items():
                sku = copy.deepcopy(template)
                sku.update(name=name, size=name.split("_", 1)[1], family=size.family, locations=[location])
                sku["locationInfo"][0]["location"] = location
                capabilities = {"vCPUs": str(size.vcpus), "vCPUsAvailable": str(size.vcpus)}
                capabilities["LowPriorityCapable"] = str(size.spot_capable)
                for capability in sku["capabilities"]:
                    capability["value"] = capabilities.get(capability["name"], capability["value"])
                sku["restrictions"] = (
                    [
                        {
                            "type": "Location",
                            "values": [location],
                            "restrictionInfo": {"locations": [location]},
                            "reasonCode": size.restriction,
                        }
                    ]
                    if size.restriction
                    else []
                )
                value.append(sku)
        return 200, {"value": value}

    def usage(self, location: str) -> tuple[int, Any]:
        template = example("Compute_Usage_List_MaximumSet_Gen.json")["responses"]["200"]["body"]["value"][0]
        value = []
        if location.lower() == self.scenario.location:
            for name, (current, limit) in self.scenario.usages.items():
                entry = copy.deepcopy(template)
                entry.update(currentValue=current, limit=limit, name={"value": name, "localizedValue": name})
                value.append(entry)
        return 200, {"value": value}  # one page: the example's nextLink is a placeholder

    def image(self, location: str, key: tuple[str, str, str], version: str | None, query: Any) -> tuple[int, Any]:
        publisher, offer, sku = (part.lower() for part in key)
        versions = self.scenario.images.get((publisher, offer, sku)) if location == self.scenario.location else None
        path = (
            f"/Subscriptions/{SUBSCRIPTION}/Providers/Microsoft.Compute/Locations/{location}/Publishers/{key[0]}"
            f"/ArtifactTypes/VMImage/Offers/{key[1]}/Skus/{key[2]}/Versions/"
        )
        if not versions or (version is not None and version not in versions):
            return 404, _error("NotFound", "Artifact: VMImage was not found.")
        if version is not None:
            body = copy.deepcopy(
                example("Compute_VirtualMachineImage_Get_MaximumSet_Gen.json")["responses"]["200"]["body"]
            )
            body.pop("extendedLocation")  # the example is an edge-zone image; a regional one has none
            body.update(name=version, location=location, id=path + version)
            return 200, body
        template = example("Compute_VirtualMachineImage_List_MaximumSet_Gen.json")["responses"]["200"]["body"][0]
        names = sorted(versions, reverse=(query.get("$orderby") or [""])[0].lower() == "name desc")
        if query.get("$top"):
            names = names[: int(query["$top"][0])]
        items = []
        for name in names:
            item = copy.deepcopy(template)
            item.pop("extendedLocation")
            item.update(name=name, location=location, id=path + name)
            items.append(item)
        return 200, items

    def permissions(self, group: str) -> tuple[int, Any]:
        found = next((p for g, p in self.scenario.resource_groups.items() if g.lower() == group.lower()), None)
        if found is None:
            return 404, _error("ResourceGroupNotFound", f"Resource group '{group}' could not be found.")
        template = example("Authorization_Permissions_List.json")["responses"]["200"]["body"]["value"][0]
        value = []
        for permission in found:
            entry = copy.deepcopy(template)
            entry.update(permission)
            value.append(entry)
        return 200, {"value": value}

    # --- Graph and Batch -------------------------------------------------------------------------------------------

    def service_principals(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        if self.scenario.graph_denied:
            return 403, _error("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        wanted = re.fullmatch(r"appId eq '([^']+)'", (query.get("$filter") or [""])[0])
        if wanted is None:
            return 400, _error("Request_UnsupportedQuery", "Unsupported query.")
        value = []
        if wanted.group(1) == BATCH_SERVICE_PRINCIPAL_APP_ID:
            value = [
                {"id": i, "appId": BATCH_SERVICE_PRINCIPAL_APP_ID, "displayName": "Microsoft Azure Batch"}
                for i in self.scenario.batch_principals
            ]
        return 200, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals", "value": value}

    # --- dispatch --------------------------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, auth: str) -> tuple[int, Any]:
        parts = urlsplit(raw_path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        with self._lock:
            self.requests.append((method, raw_path))
        if path.startswith("/v1.0/"):
            if not accepts_test_token(auth, self.base_url):
                return 401, _error("InvalidAuthenticationToken", "Access token validation failure.")
            if method == "GET" and path == "/v1.0/servicePrincipals":
                return self.service_principals(query)
            return 404, _error("Request_ResourceNotFound", f"no fake for {method} {path}")
        if path == "/supportedimages":
            if not accepts_test_token(auth, BATCH_AUDIENCE):
                return 401, _error("AuthenticationFailed", "Server failed to authenticate the request.")
            return 200, {"value": self.scenario.supported_images}
        if not accepts_test_token(auth, self.base_url):
            return 401, _error("InvalidAuthenticationToken", "The access token is invalid.")
        if "api-version" not in query:
            return 400, _error(
                "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required"
            )
        return self.route_arm(method, path, query)

    def route_arm(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        sub = f"/subscriptions/{SUBSCRIPTION}"
        if method != "GET" or not path.lower().startswith(sub.lower()):
            return 404, _error("NotFound", f"no fake for {method} {path}")
        rest = path[len(sub) :]
        if match := re.fullmatch(r"/providers/([^/]+)", rest, re.I):
            return self.provider(match.group(1))
        if re.fullmatch(r"/providers/Microsoft\.Compute/skus", rest, re.I):
            return self.skus(query)
        if match := re.fullmatch(r"/providers/Microsoft\.Compute/locations/([^/]+)/usages", rest, re.I):
            return self.usage(match.group(1))
        image = re.fullmatch(
            r"/providers/Microsoft\.Compute/locations/([^/]+)/publishers/([^/]+)/artifacttypes/vmimage/offers/([^/]+)"
            r"/skus/([^/]+)/versions(?:/([^/]+))?",
            rest,
            re.I,
        )
        if image:
            location, publisher, offer, sku, version = image.groups()
            return self.image(location, (publisher, offer, sku), version, query)
        if match := re.fullmatch(r"/resourcegroups/([^/]+)/providers/Microsoft\.Authorization/permissions", rest, re.I):
            return self.permissions(match.group(1))
        return 404, _error("NotFound", f"no fake for {method} {path}")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSubscription

    def log_message(self, *_: Any) -> None:
        pass

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, body = self.fake.handle(self.command, self.path, self.headers.get("Authorization", ""))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", "00000000-0000-0000-0000-000000000000")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _reply


class FakeSubscriptionServer(LoopbackHttpsServer):
    """`with FakeSubscriptionServer(scenario, tmp_path) as server:` gives server.url and server.ca_file."""

    def __init__(self, scenario: Scenario, workdir: Path) -> None:
        self.fake = FakeSubscription(scenario)
        super().__init__(_Handler, self.fake, workdir, "fake-subscription-ca.pem")
        self.fake.base_url = self.url
