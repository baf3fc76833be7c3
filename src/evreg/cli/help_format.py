"""How ``evreg ... --help`` reads: the command classes every evreg command is built with.

Typer's defaults print a ``<bool>`` placeholder after each flag, ``{old} {new}`` for required
arguments in the usage line, and two blank lines around each example (rich's Markdown pads code
blocks by one line, on top of the paragraph break). evreg's help shows flags bare, arguments as
``OLD NEW`` (``[PATHS]...`` when optional), and one blank line around examples.

Nothing here imports rich until a help page is rendered (``evreg --help`` stays light).
"""

from __future__ import annotations

from typing import Any, ClassVar

import typer
import typer.core


def _tidy(params: list[Any]) -> list[Any]:
    for param in params:
        if isinstance(param, typer.core.TyperOption):
            if param.is_flag and param.metavar is None:
                param.metavar = ""  # no type column for a flag
        elif isinstance(param, typer.core.TyperArgument) and param.metavar is None:
            param.metavar = (param.name or "").upper()
    return params


def _usage(param: Any, ctx: typer.Context) -> list[str]:
    if not isinstance(param, typer.core.TyperArgument):
        return list(param.get_usage_pieces(ctx))
    name = param.metavar or (param.name or "").upper()
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return [name if param.required else f"[{name}]"]


def _install_tight_code_blocks() -> None:
    """Render the help's code blocks (examples) without rich's blank line above and below."""
    import rich.markdown
    import rich.syntax
    import typer.rich_utils

    namespace = vars(typer.rich_utils)  # where rich_format_help looks Markdown up
    if getattr(namespace["Markdown"], "evreg_tight", False):
        return

    class TightCodeBlock(rich.markdown.CodeBlock):
        def __rich_console__(self, console: Any, options: Any) -> Any:
            code = str(self.text).rstrip()
            yield rich.syntax.Syntax(
                code, self.lexer_name, theme=self.theme, word_wrap=True, padding=(0, 1)
            )

    class HelpMarkdown(rich.markdown.Markdown):
        evreg_tight = True
        elements: ClassVar[dict[str, type[rich.markdown.MarkdownElement]]] = {
            **rich.markdown.Markdown.elements,
            "fence": TightCodeBlock,
            "code_block": TightCodeBlock,
        }

    namespace["Markdown"] = HelpMarkdown


class HelpCommand(typer.core.TyperCommand):
    """A command whose help has bare flags, ``OLD NEW`` usage and tight examples."""

    def get_params(self, ctx: typer.Context) -> list[Any]:  # type: ignore[override]
        return _tidy(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            pieces.extend(_usage(param, ctx))
        return pieces

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        _install_tight_code_blocks()
        super().format_help(ctx, formatter)


class HelpGroup(typer.core.TyperGroup):
    """A command group with the same help conventions as :class:`HelpCommand`."""

    def get_params(self, ctx: typer.Context) -> list[Any]:  # type: ignore[override]
        return _tidy(super().get_params(ctx))

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        _install_tight_code_blocks()
        super().format_help(ctx, formatter)
