/**
 * HID report descriptors of the gadget's two HID functions, as the bytes written to `report_desc`.
 *
 * Item encoding: HID Device Class Definition 1.11 §6.2.2 (short items: one prefix byte
 * `tag<<4 | type<<2 | size`, then 0, 1, 2 or 4 data bytes, little endian). Usages: HID Usage Tables
 * 1.4 — Generic Desktop page (0x01) §4, Keyboard/Keypad page (0x07) §10, LED page (0x08) §11,
 * Button page (0x09) §12.
 */

/**
 * Boot keyboard (HID 1.11 Appendix B.1 "Protocol 1 (Keyboard)", descriptor as in Appendix E.6).
 * Input report, 8 bytes: modifier bitmask, reserved byte, six key usage codes. Output report,
 * 1 byte: 5 LED bits (Num Lock, Caps Lock, Scroll Lock, Compose, Kana) + 3 padding bits.
 * The key array covers usages 0..255 (not only 0..101 as in E.6) so F13–F24 and the
 * international keys are reachable; a BIOS in boot protocol ignores the descriptor anyway.
 */
export const KEYBOARD_REPORT_DESCRIPTOR: Uint8Array = Uint8Array.from([
  0x05, 0x01, // Usage Page (Generic Desktop)
  0x09, 0x06, // Usage (Keyboard)
  0xa1, 0x01, // Collection (Application)
  0x05, 0x07, //   Usage Page (Keyboard/Keypad)
  0x19, 0xe0, //   Usage Minimum (0xE0 Left Control)
  0x29, 0xe7, //   Usage Maximum (0xE7 Right GUI)
  0x15, 0x00, //   Logical Minimum (0)
  0x25, 0x01, //   Logical Maximum (1)
  0x75, 0x01, //   Report Size (1)
  0x95, 0x08, //   Report Count (8)
  0x81, 0x02, //   Input (Data, Variable, Absolute) — modifier byte
  0x75, 0x08, //   Report Size (8)
  0x95, 0x01, //   Report Count (1)
  0x81, 0x01, //   Input (Constant) — reserved byte
  0x05, 0x08, //   Usage Page (LEDs)
  0x19, 0x01, //   Usage Minimum (0x01 Num Lock)
  0x29, 0x05, //   Usage Maximum (0x05 Kana)
  0x75, 0x01, //   Report Size (1)
  0x95, 0x05, //   Report Count (5)
  0x91, 0x02, //   Output (Data, Variable, Absolute) — LED bits
  0x75, 0x03, //   Report Size (3)
  0x95, 0x01, //   Report Count (1)
  0x91, 0x01, //   Output (Constant) — LED padding
  0x05, 0x07, //   Usage Page (Keyboard/Keypad)
  0x19, 0x00, //   Usage Minimum (0)
  0x2a, 0xff, 0x00, // Usage Maximum (255)
  0x15, 0x00, //   Logical Minimum (0)
  0x26, 0xff, 0x00, // Logical Maximum (255) — two data bytes: one byte 0xFF would be -1
  0x75, 0x08, //   Report Size (8)
  0x95, 0x06, //   Report Count (6)
  0x81, 0x00, //   Input (Data, Array, Absolute) — six key codes
  0xc0, // End Collection
]);

/**
 * Absolute pointer. A Mouse usage (not a Digitizer/Tablet: Fedora binds tablets to the wacom
 * driver, see QubesOS tests-hw-setup) with an Application collection containing a Pointer
 * Physical collection (Apple's recovery mode needs the Physical collection, kvmd notes).
 * Input report, 6 bytes, no report id: buttons u8 (5 buttons + 3 padding bits), X u16 LE,
 * Y u16 LE (absolute, logical 0..32767 — Windows rejects negative or 0..65535 ranges), wheel i8
 * (relative).
 */
export const POINTER_REPORT_DESCRIPTOR: Uint8Array = Uint8Array.from([
  0x05, 0x01, // Usage Page (Generic Desktop)
  0x09, 0x02, // Usage (Mouse)
  0xa1, 0x01, // Collection (Application)
  0x09, 0x01, //   Usage (Pointer)
  0xa1, 0x00, //   Collection (Physical)
  0x05, 0x09, //     Usage Page (Button)
  0x19, 0x01, //     Usage Minimum (Button 1)
  0x29, 0x05, //     Usage Maximum (Button 5)
  0x15, 0x00, //     Logical Minimum (0)
  0x25, 0x01, //     Logical Maximum (1)
  0x75, 0x01, //     Report Size (1)
  0x95, 0x05, //     Report Count (5)
  0x81, 0x02, //     Input (Data, Variable, Absolute) — buttons
  0x75, 0x03, //     Report Size (3)
  0x95, 0x01, //     Report Count (1)
  0x81, 0x01, //     Input (Constant) — padding
  0x05, 0x01, //     Usage Page (Generic Desktop)
  0x09, 0x30, //     Usage (X)
  0x09, 0x31, //     Usage (Y)
  0x15, 0x00, //     Logical Minimum (0)
  0x26, 0xff, 0x7f, // Logical Maximum (32767)
  0x75, 0x10, //     Report Size (16)
  0x95, 0x02, //     Report Count (2)
  0x81, 0x02, //     Input (Data, Variable, Absolute) — X, Y
  0x09, 0x38, //     Usage (Wheel)
  0x15, 0x81, //     Logical Minimum (-127)
  0x25, 0x7f, //     Logical Maximum (127)
  0x75, 0x08, //     Report Size (8)
  0x95, 0x01, //     Report Count (1)
  0x81, 0x06, //     Input (Data, Variable, Relative) — wheel
  0xc0, //   End Collection
  0xc0, // End Collection
]);

export interface ReportBits {
  input: number;
  output: number;
  feature: number;
  /** Report ID items seen (none in our descriptors). */
  reportIds: number[];
}

/**
 * Walk the short items of a report descriptor and add up Report Size × Report Count for each
 * Main item (HID 1.11 §6.2.2.4: Input 0x80, Output 0x90, Feature 0xB0; Global items Report Size
 * 0x74, Report Count 0x94, Report ID 0x84). Used to check `report_length` against the descriptor.
 */
export function reportBits(descriptor: Uint8Array): ReportBits {
  const bits: ReportBits = { input: 0, output: 0, feature: 0, reportIds: [] };
  let size = 0;
  let count = 0;
  for (let i = 0; i < descriptor.length; ) {
    const prefix = descriptor[i]!;
    const dataLength = [0, 1, 2, 4][prefix & 0x03]!;
    let data = 0;
    for (let b = 0; b < dataLength; b++) data |= (descriptor[i + 1 + b] ?? 0) << (8 * b);
    const item = prefix & 0xfc;
    if (item === 0x74) size = data;
    else if (item === 0x94) count = data;
    else if (item === 0x84) bits.reportIds.push(data);
    else if (item === 0x80) bits.input += size * count;
    else if (item === 0x90) bits.output += size * count;
    else if (item === 0xb0) bits.feature += size * count;
    i += 1 + dataLength;
  }
  return bits;
}
