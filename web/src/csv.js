// A CSV of instances: numbers separated by commas, one instance per line, an optional header row.
// A header that names every feature puts the columns in the model's feature order.

export function parseInstances(text, featureNames) {
  const lines = text.split(/\r\n|\n|\r/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) throw new Error('the CSV has no rows');
  const cells = lines.map((l) => l.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1')));
  let columns = featureNames.map((_, i) => i);
  let body = cells;
  let width = featureNames.length;
  if (cells[0].some((c) => c === '' || Number.isNaN(Number(c)))) {
    const header = cells[0];
    body = cells.slice(1);
    width = header.length;
    if (featureNames.every((f) => header.includes(f))) columns = featureNames.map((f) => header.indexOf(f));
    else if (header.length !== featureNames.length) {
      throw new Error(`the header names ${header.length} columns; the model has ${featureNames.length} features`);
    }
  }
  return body.map((row, r) => {
    if (row.length !== width) {
      throw new Error(`row ${r + 1} has ${row.length} values, expected ${width}`);
    }
    return columns.map((c) => {
      const v = Number(row[c]);
      if (row[c] === '' || Number.isNaN(v)) throw new Error(`row ${r + 1}: "${row[c]}" is not a number`);
      return v;
    });
  });
}
