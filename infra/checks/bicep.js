// Reads Vigil's Bicep files with the tree-sitter grammar for Bicep: the syntax tree, and from it the
// declarations the consistency checks compare (parameters with their decorators, resources with their type,
// symbol and top-level properties, modules with their path and parameters).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Parser = require('tree-sitter');
const Bicep = require('tree-sitter-bicep');

const REPO = path.resolve(__dirname, '..', '..');
const BICEP_ROOT = path.join(REPO, 'infra', 'bicep');

const parser = new Parser();
parser.setLanguage(Bicep);

function bicepFiles(dir = BICEP_ROOT) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return bicepFiles(full);
    return entry.name.endsWith('.bicep') ? [full] : [];
  });
}

function parse(file) {
  return parseSource(fs.readFileSync(file, 'utf8'), file);
}

function parseSource(source, file = 'inline.bicep') {
  return { file, source, tree: parser.parse(source) };
}

/** ERROR and MISSING nodes as "file:line:column what" strings. */
function syntaxErrors({ file, tree }) {
  const problems = [];
  const walk = (node) => {
    if (node.type === 'ERROR' || node.isMissing) {
      const where = `${path.relative(REPO, file)}:${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
      problems.push(`${where} ${node.isMissing ? `missing ${node.type}` : `cannot parse '${node.text.slice(0, 40)}'`}`);
      if (node.type === 'ERROR') return;
    }
    for (const child of node.children) walk(child);
  };
  walk(tree.rootNode);
  return problems;
}

function unquote(text) {
  return text.replace(/^'|'$/g, '');
}

/** The object literal a resource or module declaration assigns (through `if (...)` and `[for ...: {...}]`). */
function bodyObject(declaration) {
  const find = (node) => {
    if (node.type === 'object') return node;
    for (const child of node.namedChildren) {
      if (['if_statement', 'for_statement', 'parenthesized_expression'].includes(child.type) || child.type === 'object') {
        const found = child.type === 'object' ? child : find(child);
        if (found) return found;
      }
    }
    return null;
  };
  return find(declaration);
}

/** Top-level properties of an object literal: name -> value node. */
function properties(object) {
  const result = new Map();
  if (!object) return result;
  for (const property of object.namedChildren.filter((n) => n.type === 'object_property')) {
    const [key, value] = property.namedChildren;
    result.set(unquote(key.text), value);
  }
  return result;
}

/** Decorator names (description, secure, allowed...) written just before a declaration. */
function decoratorsOf(node) {
  const previous = node.previousNamedSibling;
  if (!previous || previous.type !== 'decorators') return [];
  return previous.namedChildren.map((d) => d.text.replace(/^@/, '').split('(')[0].trim());
}

function declarations(parsed) {
  const root = parsed.tree.rootNode;
  const params = root.namedChildren.filter((n) => n.type === 'parameter_declaration').map((n) => ({
    name: n.namedChildren[0].text,
    hasDefault: n.namedChildren.length > 2,
    decorators: decoratorsOf(n),
  }));
  const resources = root.namedChildren.filter((n) => n.type === 'resource_declaration').map((n) => {
    const [symbol, type] = n.namedChildren;
    const body = properties(bodyObject(n));
    return {
      symbol: symbol.text,
      type: unquote(type.text).split('@')[0],
      existing: /^\s*existing\b/.test(parsed.source.slice(type.endIndex, n.endIndex)),
      properties: body,
      scope: body.has('scope') ? body.get('scope').text.replace(/\[.*\]$/, '') : null,
    };
  });
  const modules = root.namedChildren.filter((n) => n.type === 'module_declaration').map((n) => {
    const [symbol, target] = n.namedChildren;
    const body = properties(bodyObject(n));
    return {
      symbol: symbol.text,
      target: unquote(target.text),
      params: body.has('params') ? [...properties(body.get('params')).keys()] : [],
    };
  });
  return { params, resources, modules };
}

// What Azure Resource Manager knows of a resource or module before it is deployed: the rest of its properties
// (a storage account's endpoints, a module's outputs) exist only once it is.
const DEPLOY_TIME_PROPERTIES = new Set(['id', 'name', 'type', 'apiVersion']);
const RUNTIME_FUNCTION = /^(reference|list\w*)$/;

/**
 * Values a variable built by a for-expression cannot use (Bicep refuses them with BCP182: such a variable is
 * evaluated when the deployment starts): a resource's or module's properties other than id, name, type and
 * apiVersion, reference() or list*(), or another variable that uses one. Returns "file:line variable uses what".
 */
function runtimeValuesInVariableLoops({ file, tree }) {
  const root = tree.rootNode;
  const deployed = new Set(root.namedChildren
    .filter((n) => n.type === 'resource_declaration' || n.type === 'module_declaration')
    .map((n) => n.namedChildren[0].text));
  const variables = new Map(root.namedChildren.filter((n) => n.type === 'variable_declaration')
    .map((n) => [n.namedChildren[0].text, n.namedChildren[1]]));
  const base = (node) => (node.type === 'subscript_expression' ? base(node.childForFieldName('object')) : node);
  const runtimeUses = (node, runtimeVariables) => {
    const found = [];
    const walk = (n) => {
      if (n.type === 'member_expression') {
        const object = n.childForFieldName('object');
        const symbol = base(object);
        if (symbol.type === 'identifier' && deployed.has(symbol.text)
            && !DEPLOY_TIME_PROPERTIES.has(n.childForFieldName('property').text)) {
          found.push(n.text);
          return;
        }
      }
      if (n.type === 'call_expression' && RUNTIME_FUNCTION.test(n.namedChildren[0].text)) {
        found.push(n.text);
        return;
      }
      if (n.type === 'identifier' && runtimeVariables.has(n.text)) {
        found.push(`${n.text} (a variable that uses ${runtimeVariables.get(n.text)})`);
        return;
      }
      for (const child of n.namedChildren) walk(child);
    };
    walk(node);
    return found;
  };
  // Variables whose value needs a deployed resource, to a fixed point (a variable may use another).
  const runtimeVariables = new Map();
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, value] of variables) {
      if (runtimeVariables.has(name) || value.type === 'for_statement') continue;
      const uses = runtimeUses(value, runtimeVariables);
      if (uses.length > 0) {
        runtimeVariables.set(name, uses[0]);
        changed = true;
      }
    }
  }
  const problems = [];
  for (const [name, value] of variables) {
    if (value.type !== 'for_statement') continue;
    for (const use of runtimeUses(value, runtimeVariables)) {
      problems.push(`${path.relative(REPO, file)}:${value.startPosition.row + 1} variable ${name} uses ${use}`);
    }
  }
  return problems;
}

module.exports = {
  REPO, BICEP_ROOT, bicepFiles, parse, parseSource, syntaxErrors, declarations, properties, unquote,
  runtimeValuesInVariableLoops,
};
