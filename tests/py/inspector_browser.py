"""Drives lattice-local's request inspector in a real browser (Debian's chromium, headless,
through chromedriver and Selenium) and checks what a developer would see.

Run by local/tests/inspector_browser.rs, which starts `lattice-local up` and passes a JSON
document on stdin:

    {"inspector": URL, "foo_service": URL, "eks_app": URL, "region": "us-west-2",
     "session": {"access_key": .., "secret_key": .., "token": .., "principal": ..},
     "client": {"access_key": .., "secret_key": .., "principal": ..},
     "screenshot": PATH or null}

Steps (each failure exits non-zero with what was wrong):
 1. the topology lists both services and every rule of their listeners;
 2. a SigV4-signed request (with a session token) to foo-service (a Lambda target) and an
    unsigned one to eks-app (AWS_IAM: denied) each appear as a row within a second of their
    response, without a reload; a signed one to eks-app (allowed, an HTTP target) too;
 3. the Lambda exchange shows the event's requestContext, the function's response and log;
 4. no secret (secret access keys, the signature, the session token) is anywhere in the page
    or in what the page's API serves.
"""

import json
import os
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# Selenium Manager must not try to download a driver or browser: this machine has its own.
os.environ["SE_OFFLINE"] = "true"

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1440,2050",
]

ROW_DEADLINE_S = 1.0


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def send(method, url, credentials=None, region=None):
    """Sends a request, SigV4-signed for vpc-lattice-svcs when credentials are given; returns
    (status, body, the Authorization header sent)."""
    headers = {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"} if credentials else {}
    request = AWSRequest(method=method, url=url, headers=headers)
    if credentials:
        SigV4Auth(credentials, "vpc-lattice-svcs", region).add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, method=method, headers=dict(prepared.headers))
    try:
        # The services' listeners are HTTPS, their certificates issued by lattice-local's CA.
        context = ssl.create_default_context(cafile=CA_FILE) if url.startswith("https:") else None
        with urllib.request.urlopen(raw, timeout=30, context=context) as response:
            return response.status, response.read().decode(), prepared.headers.get("Authorization")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), prepared.headers.get("Authorization")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("LATTICE_CHROMIUM", "/usr/bin/chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='inspector-chromium-')}")
    service = Service(os.environ.get("LATTICE_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#requests tbody tr")


def wait_for_row(driver, predicate, what):
    """The first row matching predicate(cells), waited for at most ROW_DEADLINE_S."""
    def found(_):
        for row in rows(driver):
            cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
            if predicate(cells):
                return row
        return False
    try:
        return WebDriverWait(driver, ROW_DEADLINE_S, poll_frequency=0.02).until(found)
    except Exception:
        table = [[c.text for c in r.find_elements(By.TAG_NAME, "td")] for r in rows(driver)]
        fail(f"no row for {what} within {ROW_DEADLINE_S}s of its response; rows: {table}")


CA_FILE = None


def main():
    global CA_FILE
    spec = json.load(sys.stdin)
    CA_FILE = spec["ca_file"]
    region = spec["region"]
    session = spec["session"]
    client = spec["client"]
    session_credentials = Credentials(session["access_key"], session["secret_key"], session["token"])
    client_credentials = Credentials(client["access_key"], client["secret_key"])

    driver = browser()
    try:
        driver.get(spec["inspector"])
        wait = WebDriverWait(driver, 20)

        # 1. The topology: both services, every rule of each listener (from the page's own API).
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.service[data-service="eks-app"]'))
        topology = driver.execute_async_script(
            "const done = arguments[0]; fetch('/api/topology').then(r => r.json()).then(done);")
        names = [s["name"] for s in topology["services"]]
        for service in ("foo-service", "eks-app"):
            if service not in names:
                fail(f"{service} not in the topology: {names}")
        for service in topology["services"]:
            box = driver.find_element(By.CSS_SELECTOR, f'.service[data-service="{service["name"]}"]')
            drawn = [r.get_attribute("data-rule") for r in box.find_elements(By.CSS_SELECTOR, ".rule")]
            expected = [
                name
                for listener in service["listeners"]
                for name in [r["name"] for r in listener["rules"]] + ["default"]
            ]
            if drawn != expected:
                fail(f"{service['name']}: rules drawn {drawn}, expected {expected} (priority order)")
        eks_text = driver.find_element(By.CSS_SELECTOR, '.service[data-service="eks-app"]').text
        for needle in ("AWS_IAM", "EksAppRule", "path prefix /app"):
            if needle not in eks_text:
                fail(f"eks-app's diagram lacks {needle!r}: {eks_text!r}")
        print(f"topology: {names} with their rules", flush=True)

        # 2. Requests appear live. A marker on the window proves the page was not reloaded.
        wait.until(lambda d: d.find_element(By.ID, "live").text == "live")
        driver.execute_script("window.__sameDocument = true;")

        status, body, signed_authorization = send(
            "GET", spec["foo_service"] + "/", session_credentials, region)
        if status != 200:
            fail(f"signed GET foo-service/: {status} {body}")
        started = time.monotonic()
        lambda_row = wait_for_row(
            driver,
            lambda c: c[1] == "foo-service" and c[3] == "/" and session["principal"].split(":")[-1] in c[5],
            "the signed foo-service request")
        print(f"signed row after {time.monotonic() - started:.3f}s: {lambda_row.text!r}", flush=True)

        status, body, _ = send("GET", spec["eks_app"] + "/app")
        if status != 403:
            fail(f"unsigned GET eks-app/app: {status} {body}")
        started = time.monotonic()
        denied_row = wait_for_row(
            driver,
            lambda c: c[1] == "eks-app" and "unsigned" in c[5] and c[8].startswith("403"),
            "the unsigned eks-app request")
        print(f"unsigned row after {time.monotonic() - started:.3f}s: {denied_row.text!r}", flush=True)
        if "deny" not in denied_row.text or "no statement allowed" not in denied_row.text:
            fail(f"the denied row does not say why: {denied_row.text!r}")

        status, body, _ = send("GET", spec["eks_app"] + "/app", client_credentials, region)
        if status != 200:
            fail(f"signed GET eks-app/app: {status} {body}")
        wait_for_row(
            driver,
            lambda c: c[1] == "eks-app" and c[8].startswith("200") and "allow" in c[6],
            "the allowed eks-app request")

        if not driver.execute_script("return window.__sameDocument === true;"):
            fail("the page was reloaded")

        # 3. The Lambda exchange.
        lambda_row.click()
        wait.until(lambda d: d.find_elements(By.ID, "event-json"))
        event = json.loads(driver.find_element(By.ID, "event-json").text)
        context = event.get("requestContext") or fail(f"no requestContext in {event}")
        principal = context.get("identity", {}).get("principal")
        if principal != session["principal"]:
            fail(f"the event's requestContext.identity.principal is {principal!r}")
        response = json.loads(driver.find_element(By.ID, "response-json").text)
        if response.get("statusCode") != 200 or "Hello Foo Lambda!!" not in response.get("body", ""):
            fail(f"the function's response is {response}")
        log = driver.find_element(By.ID, "function-log").text
        if "START RequestId:" not in log or "REPORT RequestId:" not in log:
            fail(f"the function's log is {log!r}")
        forwarded = driver.find_element(By.ID, "forwarded").text
        # A V2 event carries the caller in requestContext, not in Lattice's identity headers.
        if "x-forwarded-for" not in forwarded or "added by Lattice" not in forwarded:
            fail(f"forwarded headers do not mark Lattice's: {forwarded!r}")
        if "x-amzn-lattice-identity" in forwarded:
            fail(f"a V2 event's headers carry Lattice's identity header: {forwarded!r}")
        print("exchange: requestContext, response and log shown", flush=True)

        # 4. No secret anywhere: the page (with the exchange open) and every answer of its API.
        signature = signed_authorization.split("Signature=")[-1]
        secrets = {
            "session secret access key": session["secret_key"],
            "client secret access key": client["secret_key"],
            "session token": session["token"],
            "signature": signature,
        }
        served = driver.execute_async_script("""
            const done = arguments[0];
            (async () => {
              const list = await (await fetch('/api/exchanges')).text();
              const ids = JSON.parse(list).exchanges.map(r => r.id);
              const details = await Promise.all(ids.map(id => fetch('/api/exchanges/' + id).then(r => r.text())));
              done([list, ...details].join('\\n'));
            })();
        """)
        for where, text in (("page", driver.page_source), ("API", served)):
            for name, secret in secrets.items():
                if secret in text:
                    fail(f"the {name} appears in the {where}")
        if "[redacted]" not in driver.page_source:
            fail("the open exchange shows no redacted credential (was it signed?)")
        print("no secret in the page or its API", flush=True)

        if spec.get("screenshot"):
            driver.execute_script("window.scrollTo(0, 0);")
            driver.save_screenshot(spec["screenshot"])
            print(f"screenshot: {spec['screenshot']}", flush=True)
    finally:
        driver.quit()
    print("inspector browser test passed", flush=True)


if __name__ == "__main__":
    main()
