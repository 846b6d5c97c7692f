// db/postgres/client.test.ts — which errors make a txn fail (certainly not committed) and which info (fate unknown).
import { describe, expect, it } from 'vitest';
import { completionOfError, sqlState } from './client.ts';

/** serverError: what pg rejects with when the server answers an ErrorResponse. */
function serverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('completionOfError', () => {
  it('anything before COMMIT is sent is fail: the transaction never commits', () => {
    for (const err of [serverError('40001', 'could not serialize access'), new Error('Connection terminated unexpectedly'), Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })]) {
      expect(completionOfError(err, false, 'n1').type).toBe('fail');
    }
  });

  it('COMMIT refused with a rollback class is fail; with SQLSTATE in the error text', () => {
    expect(completionOfError(serverError('40001', 'could not serialize access due to read/write dependencies'), true, 'n1')).toEqual({
      type: 'fail', error: '40001 could not serialize access due to read/write dependencies', node: 'n1',
    });
    for (const code of ['40P01', '23505', '22003', '25P02']) expect(completionOfError(serverError(code, 'x'), true, 'n1').type).toBe('fail');
  });

  it('COMMIT sent and then a lost connection, a timeout or an operator shutdown is info', () => {
    expect(completionOfError(new Error('Connection terminated unexpectedly'), true, 'n1').type).toBe('info');
    expect(completionOfError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true, 'n1').type).toBe('info');
    expect(completionOfError(serverError('57P01', 'terminating connection due to administrator command'), true, 'n1').type).toBe('info');
  });

  it('sqlState reads only five-character SQLSTATEs, not socket error codes', () => {
    expect(sqlState(serverError('40P01', 'deadlock detected'))).toBe('40P01');
    expect(sqlState(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeNull();
    expect(sqlState(null)).toBeNull();
  });
});
