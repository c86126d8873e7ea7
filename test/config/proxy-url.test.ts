import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import { proxyUrlProblem } from '../../src/http/proxy-url.ts';

/** The config error for one account with this proxy, or '' when the config is accepted. */
function configError(proxy: string): string {
  try {
    parseConfig({ accounts: [{ id: 'a', provider: 'anthropic', apiKey: 'k', proxy }] }, {});
    return '';
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

describe('proxy URLs in the config', () => {
  it('accepts the proxies relayq can use', () => {
    for (const proxy of [
      'http://proxy.example:8080',
      'http://proxy.example:8080/',
      'https://user:p%40ss@proxy.example:8443',
      'socks5://127.0.0.1:1080',
      'socks5h://u:p@[::1]:1080',
      'http://proxy.example',
    ]) {
      expect(configError(proxy), proxy).toBe('');
    }
  });

  it('rejects a password that is not valid percent-encoding, without repeating it', () => {
    const message = configError('http://user:s3cret%ZZ@proxy.example:8080');
    expect(message).toContain('accounts[0].proxy');
    expect(message).toMatch(/password that is not valid percent-encoding/);
    expect(message).not.toContain('s3cret');
  });

  it('rejects a user name that is not valid percent-encoding', () => {
    expect(configError('http://us%ZZer:pw@proxy.example:8080')).toMatch(/user name that is not valid percent-encoding/);
  });

  it('rejects a port that is not a number from 1 to 65535', () => {
    for (const port of ['notaport', '0', '65536', '99999999', '-1']) {
      const message = configError(`socks5://user:hunter2@proxy.example:${port}`);
      expect(message, port).toMatch(/accounts\[0\]\.proxy: has the port ".*"; a port is a number from 1 to 65535/);
      expect(message).not.toContain('hunter2');
    }
  });

  it('rejects other schemes, a missing host, a path, spaces and no URL at all', () => {
    expect(configError('ftp://proxy.example:21')).toMatch(/uses the scheme "ftp:"; use http:\/\/, https:\/\/, socks5:\/\/ or socks5h:\/\//);
    expect(configError('http://user:pw@:8080')).toMatch(/has no host/);
    expect(configError('http://proxy.example:8080/some/path')).toMatch(/must not have a path/);
    expect(configError('http://proxy example:8080')).toMatch(/must not contain spaces/);
    expect(configError('proxy.example:8080')).toMatch(/must be a URL such as http:\/\/host:port/);
    expect(configError('http://pro_xy!.exa mple')).not.toBe('');
  });

  it('names what is wrong in one phrase (proxyUrlProblem)', () => {
    expect(proxyUrlProblem('http://127.0.0.1:3128')).toBeNull();
    expect(proxyUrlProblem('http://[::1:3128')).toMatch(/not a valid host/);
  });
});
