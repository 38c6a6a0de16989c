/**
 * Handlebars, used as a pure function: an isolated environment, no HTML escaping (these are config files, not pages),
 * and strict mode so a missing variable is an error instead of an empty string in keepalived.conf.
 */
import { KubeadmHaError } from '../errors.js';
import Handlebars from 'handlebars';
import { TEMPLATES } from '../generated/templates.js';

const env = Handlebars.create();
env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
env.registerHelper('join', (items: unknown, sep: unknown) => (Array.isArray(items) ? items.join(typeof sep === 'string' ? sep : ',') : ''));
env.registerHelper('json', (value: unknown) => JSON.stringify(value));

const compiled = new Map<string, Handlebars.TemplateDelegate>();

export function renderTemplate(name: string, context: object): string {
  let template = compiled.get(name);
  if (!template) {
    const source = TEMPLATES[name];
    if (source === undefined) throw new KubeadmHaError(`no template named ${name} in templates/`);
    template = env.compile(source, { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(context);
}

export function templateNames(): string[] {
  return Object.keys(TEMPLATES);
}
