"""What the e2e tests do in JupyterLab's UI, as a user does it."""

from __future__ import annotations


def accept_kernel_dialog(page, timeout_ms: int = 3_000) -> None:
    """Accept the kernel choice that JupyterLab asks for when its kernel specs load late."""
    try:
        page.wait_for_selector(".jp-Dialog", timeout=timeout_ms)
        page.click(".jp-Dialog .jp-mod-accept")
    except Exception:  # noqa: BLE001 - no dialog is the usual case
        pass


def open_notebook(page, url: str, kernel_dialog_ms: int = 3_000) -> None:
    """Go to the notebook at ``url`` and wait for its cells, accepting a kernel dialog."""
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    accept_kernel_dialog(page, kernel_dialog_ms)


def open_and_run_all(page, url: str) -> None:
    """Open the notebook at ``url``, Run All, and wait for its first widget on the page."""
    open_notebook(page, url)
    run_all(page)
    page.wait_for_selector(".pelican-widget", timeout=90_000)


def run_menu(page, item: str) -> None:
    """Click ``item`` in the Run menu (e.g. "Run All Cells")."""
    page.click(".lm-MenuBar-itemLabel:text-is('Run')", timeout=30_000)
    page.click(f".lm-Menu-itemLabel:text-is('{item}')", timeout=10_000)


def run_all(page) -> None:
    """Run > Run All Cells."""
    run_menu(page, "Run All Cells")


def select_cell(page, index: int) -> None:
    """Make cell ``index`` the active one (its editor gets the focus)."""
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputArea-editor").click()


def run_cell(page, index: int) -> None:
    """Run cell ``index`` with Shift+Enter."""
    select_cell(page, index)
    page.keyboard.press("Shift+Enter")
