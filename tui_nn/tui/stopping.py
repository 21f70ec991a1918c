"""How a full-screen tui-nn app stops from outside: SIGTERM and SIGHUP act as Ctrl+C does
(``action_interrupt``: the terminal restored, the work saved, exit 130), and a terminal that
goes away (the SSH connection dropped) calls ``_hung_up`` from a thread of its own, since
Textual can no longer draw or exit then (see :class:`tui_nn.signals.TerminalWatch`)."""

from __future__ import annotations

import threading


class StopsOnSignals:
    """A mixin for an :class:`textual.app.App` with ``action_interrupt`` and ``_hung_up``: call
    ``install_signal_handlers`` on mount and ``remove_signal_handlers`` on unmount."""

    def install_signal_handlers(self) -> None:
        import asyncio

        from ..signals import SIGNALS, ignored

        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS[1:]:
                if ignored(sig):  # nohup
                    continue
                try:
                    asyncio.get_running_loop().add_signal_handler(
                        sig, lambda: self.call_later(self.action_interrupt))
                except (NotImplementedError, RuntimeError):  # no signals in this loop (not POSIX)
                    pass

    def remove_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            import asyncio

            from ..signals import SIGNALS

            for sig in SIGNALS[1:]:
                try:
                    asyncio.get_running_loop().remove_signal_handler(sig)
                except (NotImplementedError, RuntimeError):
                    pass

    def run(self, *args, **kwargs):
        import sys

        from ..signals import TerminalWatch

        with TerminalWatch(sys.__stdin__.fileno() if sys.__stdin__ else -1, self._hung_up):
            return super().run(*args, **kwargs)
