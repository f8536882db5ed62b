/** The human summary `edid decode` prints: identity, preferred mode, descriptors, extensions, problems. */
import type { Descriptor } from './descriptors';
import type { ParsedEdid } from './parse';
import { formatProblem } from './problems';
import { describeTiming } from './timing';

function describeDescriptor(d: Descriptor, index: number): string {
  switch (d.kind) {
    case 'timing':
      return `${index === 0 ? 'preferred timing' : 'detailed timing'}: ${describeTiming(d.detailed.timing)} (${d.detailed.hImageMm}x${d.detailed.vImageMm} mm)`;
    case 'name':
      return `monitor name: ${JSON.stringify(d.text)}`;
    case 'serial':
      return `serial string: ${JSON.stringify(d.text)}`;
    case 'text':
      return `text: ${JSON.stringify(d.text)}`;
    case 'range': {
      const r = d.range;
      return `range limits: ${r.minVerticalHz}-${r.maxVerticalHz} Hz vertical, ${r.minHorizontalKhz}-${r.maxHorizontalKhz} kHz horizontal, max ${r.maxPixelClockMhz} MHz`;
    }
    case 'dummy':
      return 'unused';
    case 'other':
      return `descriptor tag 0x${d.tag.toString(16).padStart(2, '0')}`;
  }
}

export function summarizeEdid(parsed: ParsedEdid): string {
  const lines: string[] = [];
  const base = parsed.base;
  lines.push(`blocks: ${parsed.blocks} (${parsed.blocks * 128} bytes)`);
  if (base) {
    lines.push(`EDID ${base.version}.${base.revision}, ${base.digital ? 'digital' : 'analog'} input`);
    lines.push(`manufacturer: ${base.manufacturer}, product 0x${base.productCode.toString(16).padStart(4, '0')}, serial number ${base.serialNumber}`);
    lines.push(`${base.modelYear ? 'model year' : 'made'}: ${base.week > 0 ? `week ${base.week} of ` : ''}${base.year}`);
    lines.push(`screen size: ${base.screenWidthCm} x ${base.screenHeightCm} cm, gamma ${base.gamma?.toFixed(2) ?? 'in extension'}`);
    lines.push(`established timings: ${base.established.join(', ') || 'none'}`);
    const std = base.standardTimings.map((s) => `${s.width}x${s.height}@${s.refreshHz}`);
    lines.push(`standard timings: ${std.join(', ') || 'none'}`);
    base.descriptors.forEach((d, i) => lines.push(`descriptor ${i + 1}: ${describeDescriptor(d, i)}`));
    lines.push(`extension blocks declared: ${base.extensionCount}`);
  }
  for (const ext of parsed.extensions) {
    let line = `block ${ext.block}: ${ext.name}`;
    if (ext.cta) {
      const c = ext.cta;
      const blocks = c.dataBlocks.map((b) => b.name + (b.physicalAddress ? ` ${b.physicalAddress}` : '') + (b.vics ? ` VICs ${b.vics.join(' ')}` : ''));
      line += ` revision ${c.revision}, ${c.hdmi ? 'HDMI' : 'no HDMI VSDB (DVI)'}, data blocks: ${blocks.join('; ') || 'none'}`;
      lines.push(line);
      c.detailedTimings.forEach((d) => lines.push(`  detailed timing: ${describeTiming(d.detailed.timing)}`));
    } else {
      lines.push(line);
    }
  }
  if (parsed.preferred) lines.push(`preferred mode: ${describeTiming(parsed.preferred.timing)}`);
  if (parsed.problems.length === 0) lines.push('problems: none');
  else {
    lines.push(`problems: ${parsed.problems.length}`);
    for (const p of parsed.problems) lines.push(`  ${formatProblem(p)}`);
  }
  return lines.join('\n') + '\n';
}
