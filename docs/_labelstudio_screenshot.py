"""Regenerate docs/_static/labelstudio_labeling.png: Label Studio's labeling view of a task
pushed by ``modal-sraal label query`` (headless Chromium through Selenium).

    python docs/_labelstudio_screenshot.py URL EMAIL PASSWORD PROJECT_ID OUT.png

Needs Debian's chromium and chromium-driver and ``pip install selenium``; not a dependency.
"""
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main(url, email, password, project, out):
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    # Debian's driver, named: Selenium Manager would otherwise look for one online
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(f"{url}/user/login/")
        driver.find_element(By.NAME, "email").send_keys(email)
        driver.find_element(By.NAME, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
        time.sleep(3)
        driver.get(f"{url}/projects/{project}/data?labeling=1")   # the stream: SRAAL's first pick
        time.sleep(8)
        driver.save_screenshot(out)
    finally:
        driver.quit()


if __name__ == "__main__":
    main(*sys.argv[1:])
