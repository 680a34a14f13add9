"""The compile-time rules of the sandbox: RestrictedPython's, plus ours.

* imports only of ``SCRIPT_MODULES`` (refused with their line);
* no bare ``except:`` and no ``return``/``break``/``continue`` in ``finally``
  (they would discard an exception in flight; the time-out is not
  swallowable anyway, see ``scripting.budget``, but these keep the intent
  plain);
* ``*``, ``**``, ``<<``, ``%`` become size-guarded calls (``scripting.limits``),
  f-string formats are checked;
* the places where a value is hashed or compared become guarded calls
  (``scripting.guarded``): dict and set displays and comprehensions, the key
  of a subscript, ``in``, comparisons of two non-constants, and ``-`` ``|``
  ``&`` ``^`` of two non-constants (dict views hash the other operand).

An operand that is a literal constant is left as it is: a constant is never
nested deeply, so ``hp - 1`` or ``x == 0`` cost nothing extra.
"""
from __future__ import annotations

import ast
from ast import AST, Break, Continue, ExceptHandler, Return, Try, walk

from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

SCRIPT_MODULES = ("game", "random", "math", "time")

# Binary operators that can build a huge object, or hash their operand, in one C call.
_GUARDED_OPERATORS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_",
                      ast.Sub: "_sub_", ast.BitOr: "_or_", ast.BitAnd: "_and_", ast.BitXor: "_xor_"}
_ALWAYS_GUARDED = (ast.Mult, ast.Pow, ast.LShift, ast.Mod)  # a constant operand still counts
_COMPARE_NAMES = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
                  ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in"}


def _call(name: str, args: list, like: AST) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    copy_locations(call, like)
    return ast.fix_missing_locations(call)


def _literal(node: AST) -> bool:
    """A constant, or a tuple/list of constants: never deep, never costly to compare."""
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Constant) for e in node.elts)


def _plain_pair(op: AST, left: AST, right: AST) -> bool:
    """True when ``left op right`` needs no guard."""
    if isinstance(op, (ast.Is, ast.IsNot)):
        return True
    if isinstance(op, (ast.In, ast.NotIn)):
        return isinstance(left, ast.Constant) or (isinstance(right, (ast.Tuple, ast.List)) and _literal(right))
    return _literal(left) or _literal(right)


def _key(node: AST) -> AST:
    """``node`` as a checked key, unless it is a constant."""
    if node is None or isinstance(node, ast.Constant):
        return node
    return _call("_key_", [node], node)


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's transformer with the rules of the module docstring."""

    def visit_Import(self, node: ast.Import) -> AST:
        for alias in node.names:
            self._check_module(node, alias.name)
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> AST:
        if node.level:
            self.error(node, "Relative imports are not allowed.")
        self._check_module(node, node.module or "")
        return super().visit_ImportFrom(node)

    def _check_module(self, node: AST, name: str) -> None:
        """Refused at compile time, so the script editor hears the line (the guarded
        ``__import__`` refuses them again at run time)."""
        if name not in SCRIPT_MODULES:
            self.error(node, f"import of {name!r} is not allowed; scripts may import "
                             f"{', '.join(SCRIPT_MODULES)}.")

    def visit_BinOp(self, node: ast.BinOp) -> AST:
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        if not isinstance(node.op, _ALWAYS_GUARDED) and (_literal(node.left) or _literal(node.right)):
            return node
        return _call(guard, [node.left, node.right], node)

    def visit_Compare(self, node: ast.Compare) -> AST:
        node = self.node_contents_visit(node)
        operands = [node.left, *node.comparators]
        if all(_plain_pair(op, a, b) for op, a, b in zip(node.ops, operands, operands[1:])):
            return node
        if any(type(op) not in _COMPARE_NAMES for op in node.ops):
            return node  # an 'is' in a chain with a guarded pair: left as Python compiles it
        names = [ast.Constant(_COMPARE_NAMES[type(op)]) for op in node.ops]
        if len(node.ops) == 1:
            return _call("_compare_", [names[0], node.left, node.comparators[0]], node)
        thunks = [ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[],
                                                defaults=[]), body=operand) for operand in operands]
        return _call("_compare_chain_", [ast.Tuple(names, ast.Load()), *thunks], node)

    def visit_Subscript(self, node: ast.Subscript) -> AST:
        """A stored or deleted key is checked here; a loaded one by the sandbox's ``_getitem_``."""
        node = super().visit_Subscript(node)
        if isinstance(node, ast.Subscript) and not any(isinstance(inner, ast.Slice) for inner in walk(node.slice)):
            node.slice = _key(node.slice)
        return node

    def visit_Dict(self, node: ast.Dict) -> AST:
        node = self.node_contents_visit(node)
        node.keys = [_key(key) for key in node.keys]
        return node

    def visit_Set(self, node: ast.Set) -> AST:
        node = self.node_contents_visit(node)
        node.elts = [ast.Starred(_call("_keys_", [e.value], e), ast.Load()) if isinstance(e, ast.Starred)
                     else _key(e) for e in node.elts]
        return node

    def visit_SetComp(self, node: ast.SetComp) -> AST:
        node = self.node_contents_visit(node)
        node.elt = _key(node.elt)
        return node

    def visit_DictComp(self, node: ast.DictComp) -> AST:
        node = self.node_contents_visit(node)
        node.key = _key(node.key)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> AST:
        """``{value!r:>{width}}`` → ``{_format_(value, conversion, spec)}``: the spec is checked first."""
        node = self.node_contents_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        call = _call("_format_", [node.value, ast.Constant(node.conversion), spec], node)
        replaced = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        copy_locations(replaced, node)
        return replaced

    def visit_ExceptHandler(self, node: ExceptHandler) -> AST:
        if node.type is None:
            self.error(node, "A bare 'except:' is not allowed; name the exception.")
        return super().visit_ExceptHandler(node)

    def visit_Try(self, node: Try) -> AST:
        for statement in node.finalbody:
            for inner in walk(statement):
                if isinstance(inner, (Return, Break, Continue)):
                    self.error(inner, "return/break/continue in 'finally' is not allowed.")
        return super().visit_Try(node)

    visit_TryStar = visit_Try
