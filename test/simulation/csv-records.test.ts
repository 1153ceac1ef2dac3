import { parse } from 'csv-parse/sync'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { forEachCsvRecord } from '../../src/simulation/csv-records.js'
import { tempFiles } from '../fixtures/telemetry-csv.js'

const files = tempFiles()
afterAll(() => files.cleanup())

async function readAll(
  text: string,
  chunkSize?: number,
): Promise<{ records: string[][]; malformed: string[] }> {
  const path = files.write('records.csv', text)
  const records: string[][] = []
  const malformed: string[] = []
  await forEachCsvRecord(path, (cells) => records.push(cells), {
    chunkSize,
    onMalformed: (message) => malformed.push(message),
  })
  return { records, malformed }
}

/** What csv-parse itself makes of the text, with the options a telemetry loader would use. */
function csvParse(text: string): string[][] {
  return parse(text, { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true })
}

const field = fc
  .array(fc.constantFrom('a', '7', '.', '-', ' ', ',', '"', '\n', '\r\n', 'é', '€'), { maxLength: 5 })
  .map((parts) => parts.join(''))

function toCsvField(value: string, forceQuotes: boolean): string {
  const needsQuotes = /[",\r\n]/.test(value)
  return needsQuotes || forceQuotes ? `"${value.replaceAll('"', '""')}"` : value
}

describe('forEachCsvRecord', () => {
  it('gives the same records as csv-parse, across chunk boundaries, BOMs and line endings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.tuple(field, fc.boolean()), { minLength: 1, maxLength: 4 }), { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        async (rows, eol, bom, finalEol, chunkSize) => {
          const body = rows.map((row) => row.map(([v, q]) => toCsvField(v, q)).join(',')).join(eol)
          const text = (bom ? '\uFEFF' : '') + body + (finalEol ? eol : '')
          const { records } = await readAll(text, chunkSize)
          expect(records).toEqual(csvParse(text))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('splits plain lines itself and strips CR from CRLF endings', async () => {
    const { records } = await readAll('\uFEFFa,b,c\r\n1,2,3\r\n\r\n4,,6\r\n')
    expect(records).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
      ['4', '', '6'],
    ])
  })

  it('keeps a quoted field with an embedded newline in one record, in order with plain lines', async () => {
    const text = 'x,y\n1,"two\nlines"\n3,4\n"5",6\n'
    const { records } = await readAll(text, 3)
    expect(records).toEqual([
      ['x', 'y'],
      ['1', 'two\nlines'],
      ['3', '4'],
      ['5', '6'],
    ])
  })

  it('reads a stray quote inside an unquoted field literally, like csv-parse with relax_quotes', async () => {
    const text = 'a,12"3\nb,4\nc,5\n'
    const { records } = await readAll(text)
    expect(records).toEqual(csvParse(text))
    expect(records).toHaveLength(3)
  })

  it('reports a record with an unterminated quote as malformed and keeps the records before it', async () => {
    const { records, malformed } = await readAll('a,1\nb,"2\nc,3\n')
    expect(records[0]).toEqual(['a', '1'])
    expect(malformed.length).toBeGreaterThan(0)
  })

  it('decodes multi-byte UTF-8 split across reads', async () => {
    const { records } = await readAll('€uro,ñ\nx,é\n', 1)
    expect(records).toEqual([
      ['€uro', 'ñ'],
      ['x', 'é'],
    ])
  })

  it('rejects with the error thrown by the record callback and with a missing file', async () => {
    const path = files.write('throw.csv', 'a\nb\n')
    await expect(
      forEachCsvRecord(path, () => {
        throw new Error('bad header')
      }),
    ).rejects.toThrow('bad header')
    await expect(forEachCsvRecord(`${path}.missing`, () => {})).rejects.toThrow(/ENOENT/)
  })
})
