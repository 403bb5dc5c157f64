import { describe, expect, it } from 'vitest';
import { chooseBackend, MissingToolError } from '../harness/backend.js';

const probes = (onPath: string[], docker: boolean) => ({
  which: (name: string) => (onPath.includes(name) ? `/usr/bin/${name}` : undefined),
  dockerAnswers: () => docker,
});

describe('chooseBackend', () => {
  it('prefers the local binary', () => {
    expect(chooseBackend('prometheus', probes(['prometheus'], true))).toEqual({
      kind: 'binary',
      path: '/usr/bin/prometheus',
    });
  });

  it("finds Debian's prometheus-alertmanager", () => {
    expect(chooseBackend('alertmanager', probes(['prometheus-alertmanager'], false))).toEqual({
      kind: 'binary',
      path: '/usr/bin/prometheus-alertmanager',
    });
  });

  it('falls back to a container when a Docker engine answers', () => {
    expect(chooseBackend('prometheus', probes([], true))).toMatchObject({ kind: 'docker' });
  });

  it('otherwise fails with the command that installs the tool', () => {
    expect(() => chooseBackend('alertmanager', probes([], false))).toThrow(MissingToolError);
    expect(() => chooseBackend('alertmanager', probes([], false))).toThrow(
      /apt-get install -y prometheus-alertmanager/,
    );
  });
});
