"""Database work off the action server's event loop."""
from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

T = TypeVar("T")


async def stored(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a call that reads or writes the database in a worker thread, so
    one conversation's commit doesn't hold up every other conversation's
    action (the action server serves them all from one event loop)."""
    return await asyncio.to_thread(call, *args, **kwargs)
