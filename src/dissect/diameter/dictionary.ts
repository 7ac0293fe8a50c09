/**
 * Names and types for Diameter commands, applications and AVPs: the base protocol
 * (RFC 6733), credit control (RFC 4006), NASREQ/MIP leftovers, 3GPP Gx (TS 29.212),
 * Gy/Ro (TS 32.299), Rx (TS 29.214) and S6a/S6d (TS 29.272). Written from the specs.
 */

export type AvpType =
  | 'OctetString'
  | 'UTF8String'
  | 'DiamIdent'
  | 'DiamURI'
  | 'Unsigned32'
  | 'Unsigned64'
  | 'Integer32'
  | 'Integer64'
  | 'Float32'
  | 'Float64'
  | 'Enumerated'
  | 'Address'
  | 'Time'
  | 'Grouped'
  | 'IPFilterRule';

export interface AvpDef {
  name: string;
  type: AvpType;
  /** Names of Enumerated values, where the specs give them. */
  values?: Record<number, string>;
}

export interface CommandDef {
  name: string;
  /** Request and answer abbreviations, e.g. CCR / CCA. */
  request: string;
  answer: string;
}

export const VENDOR_3GPP = 10415;

export const COMMANDS: Record<number, CommandDef> = {
  257: { name: 'Capabilities-Exchange', request: 'CER', answer: 'CEA' },
  258: { name: 'Re-Auth', request: 'RAR', answer: 'RAA' },
  271: { name: 'Accounting', request: 'ACR', answer: 'ACA' },
  272: { name: 'Credit-Control', request: 'CCR', answer: 'CCA' },
  274: { name: 'Abort-Session', request: 'ASR', answer: 'ASA' },
  275: { name: 'Session-Termination', request: 'STR', answer: 'STA' },
  280: { name: 'Device-Watchdog', request: 'DWR', answer: 'DWA' },
  282: { name: 'Disconnect-Peer', request: 'DPR', answer: 'DPA' },
  316: { name: 'Update-Location', request: 'ULR', answer: 'ULA' },
  317: { name: 'Cancel-Location', request: 'CLR', answer: 'CLA' },
  318: { name: 'Authentication-Information', request: 'AIR', answer: 'AIA' },
  319: { name: 'Insert-Subscriber-Data', request: 'IDR', answer: 'IDA' },
  320: { name: 'Delete-Subscriber-Data', request: 'DSR', answer: 'DSA' },
  321: { name: 'Purge-UE', request: 'PUR', answer: 'PUA' },
  322: { name: 'Reset', request: 'RSR', answer: 'RSA' },
  323: { name: 'Notify', request: 'NOR', answer: 'NOA' },
};

export const APPLICATIONS: Record<number, string> = {
  0: 'Diameter Common Messages',
  1: 'NASREQ',
  3: 'Diameter Base Accounting',
  4: 'Diameter Credit Control',
  16777236: '3GPP Rx',
  16777238: '3GPP Gx',
  16777251: '3GPP S6a/S6d',
  4294967295: 'Relay',
};

const CC_REQUEST_TYPE = {
  1: 'INITIAL_REQUEST',
  2: 'UPDATE_REQUEST',
  3: 'TERMINATION_REQUEST',
  4: 'EVENT_REQUEST',
};
const SUBSCRIPTION_ID_TYPE = {
  0: 'END_USER_E164',
  1: 'END_USER_IMSI',
  2: 'END_USER_SIP_URI',
  3: 'END_USER_NAI',
  4: 'END_USER_PRIVATE',
};
const RAT_TYPE = {
  0: 'WLAN',
  1: 'VIRTUAL',
  1000: 'UTRAN',
  1001: 'GERAN',
  1002: 'GAN',
  1003: 'HSPA_EVOLUTION',
  1004: 'EUTRAN',
};
const AUTH_SESSION_STATE = { 0: 'STATE_MAINTAINED', 1: 'NO_STATE_MAINTAINED' };
const DISCONNECT_CAUSE = { 0: 'REBOOTING', 1: 'BUSY', 2: 'DO_NOT_WANT_TO_TALK_TO_YOU' };
const ACCOUNTING_RECORD_TYPE = {
  1: 'EVENT_RECORD',
  2: 'START_RECORD',
  3: 'INTERIM_RECORD',
  4: 'STOP_RECORD',
};

/** [code, name, type, values?] for AVPs without a vendor id. */
const BASE_AVPS: Array<[number, string, AvpType, Record<number, string>?]> = [
  [1, 'User-Name', 'UTF8String'],
  [8, 'Framed-IP-Address', 'OctetString'],
  [25, 'Class', 'OctetString'],
  [27, 'Session-Timeout', 'Unsigned32'],
  [30, 'Called-Station-Id', 'UTF8String'],
  [31, 'Calling-Station-Id', 'UTF8String'],
  [33, 'Proxy-State', 'OctetString'],
  [44, 'Accounting-Session-Id', 'OctetString'],
  [50, 'Acct-Multi-Session-Id', 'UTF8String'],
  [55, 'Event-Timestamp', 'Time'],
  [85, 'Acct-Interim-Interval', 'Unsigned32'],
  [257, 'Host-IP-Address', 'Address'],
  [258, 'Auth-Application-Id', 'Unsigned32'],
  [259, 'Acct-Application-Id', 'Unsigned32'],
  [260, 'Vendor-Specific-Application-Id', 'Grouped'],
  [261, 'Redirect-Host-Usage', 'Enumerated'],
  [262, 'Redirect-Max-Cache-Time', 'Unsigned32'],
  [263, 'Session-Id', 'UTF8String'],
  [264, 'Origin-Host', 'DiamIdent'],
  [265, 'Supported-Vendor-Id', 'Unsigned32'],
  [266, 'Vendor-Id', 'Unsigned32'],
  [267, 'Firmware-Revision', 'Unsigned32'],
  [268, 'Result-Code', 'Unsigned32'],
  [269, 'Product-Name', 'UTF8String'],
  [270, 'Session-Binding', 'Unsigned32'],
  [271, 'Session-Server-Failover', 'Enumerated'],
  [272, 'Multi-Round-Time-Out', 'Unsigned32'],
  [273, 'Disconnect-Cause', 'Enumerated', DISCONNECT_CAUSE],
  [274, 'Auth-Request-Type', 'Enumerated'],
  [276, 'Auth-Grace-Period', 'Unsigned32'],
  [277, 'Auth-Session-State', 'Enumerated', AUTH_SESSION_STATE],
  [278, 'Origin-State-Id', 'Unsigned32'],
  [279, 'Failed-AVP', 'Grouped'],
  [280, 'Proxy-Host', 'DiamIdent'],
  [281, 'Error-Message', 'UTF8String'],
  [282, 'Route-Record', 'DiamIdent'],
  [283, 'Destination-Realm', 'DiamIdent'],
  [284, 'Proxy-Info', 'Grouped'],
  [285, 'Re-Auth-Request-Type', 'Enumerated'],
  [287, 'Accounting-Sub-Session-Id', 'Unsigned64'],
  [291, 'Authorization-Lifetime', 'Unsigned32'],
  [292, 'Redirect-Host', 'DiamURI'],
  [293, 'Destination-Host', 'DiamIdent'],
  [294, 'Error-Reporting-Host', 'DiamIdent'],
  [295, 'Termination-Cause', 'Enumerated'],
  [296, 'Origin-Realm', 'DiamIdent'],
  [297, 'Experimental-Result', 'Grouped'],
  [298, 'Experimental-Result-Code', 'Unsigned32'],
  [299, 'Inband-Security-Id', 'Unsigned32'],
  [334, 'MIP-Home-Agent-Address', 'Address'],
  [411, 'CC-Correlation-Id', 'OctetString'],
  [412, 'CC-Input-Octets', 'Unsigned64'],
  [413, 'CC-Money', 'Grouped'],
  [414, 'CC-Output-Octets', 'Unsigned64'],
  [415, 'CC-Request-Number', 'Unsigned32'],
  [416, 'CC-Request-Type', 'Enumerated', CC_REQUEST_TYPE],
  [417, 'CC-Service-Specific-Units', 'Unsigned64'],
  [418, 'CC-Session-Failover', 'Enumerated'],
  [419, 'CC-Sub-Session-Id', 'Unsigned64'],
  [420, 'CC-Time', 'Unsigned32'],
  [421, 'CC-Total-Octets', 'Unsigned64'],
  [423, 'Cost-Information', 'Grouped'],
  [424, 'Cost-Unit', 'UTF8String'],
  [425, 'Currency-Code', 'Unsigned32'],
  [426, 'Credit-Control', 'Enumerated'],
  [427, 'Credit-Control-Failure-Handling', 'Enumerated'],
  [428, 'Direct-Debiting-Failure-Handling', 'Enumerated'],
  [429, 'Exponent', 'Integer32'],
  [430, 'Final-Unit-Indication', 'Grouped'],
  [431, 'Granted-Service-Unit', 'Grouped'],
  [432, 'Rating-Group', 'Unsigned32'],
  [433, 'Redirect-Address-Type', 'Enumerated'],
  [434, 'Redirect-Server', 'Grouped'],
  [435, 'Redirect-Server-Address', 'UTF8String'],
  [436, 'Requested-Action', 'Enumerated'],
  [437, 'Requested-Service-Unit', 'Grouped'],
  [438, 'Restriction-Filter-Rule', 'IPFilterRule'],
  [439, 'Service-Identifier', 'Unsigned32'],
  [440, 'Service-Parameter-Info', 'Grouped'],
  [441, 'Service-Parameter-Type', 'Unsigned32'],
  [442, 'Service-Parameter-Value', 'OctetString'],
  [443, 'Subscription-Id', 'Grouped'],
  [444, 'Subscription-Id-Data', 'UTF8String'],
  [445, 'Unit-Value', 'Grouped'],
  [446, 'Used-Service-Unit', 'Grouped'],
  [447, 'Value-Digits', 'Integer64'],
  [448, 'Validity-Time', 'Unsigned32'],
  [449, 'Final-Unit-Action', 'Enumerated'],
  [450, 'Subscription-Id-Type', 'Enumerated', SUBSCRIPTION_ID_TYPE],
  [451, 'Tariff-Time-Change', 'Time'],
  [452, 'Tariff-Change-Usage', 'Enumerated'],
  [453, 'G-S-U-Pool-Identifier', 'Unsigned32'],
  [454, 'CC-Unit-Type', 'Enumerated'],
  [455, 'Multiple-Services-Indicator', 'Enumerated'],
  [456, 'Multiple-Services-Credit-Control', 'Grouped'],
  [457, 'G-S-U-Pool-Reference', 'Grouped'],
  [458, 'User-Equipment-Info', 'Grouped'],
  [459, 'User-Equipment-Info-Type', 'Enumerated'],
  [460, 'User-Equipment-Info-Value', 'OctetString'],
  [461, 'Service-Context-Id', 'UTF8String'],
  [480, 'Accounting-Record-Type', 'Enumerated', ACCOUNTING_RECORD_TYPE],
  [483, 'Accounting-Realtime-Required', 'Enumerated'],
  [485, 'Accounting-Record-Number', 'Unsigned32'],
  [486, 'MIP6-Agent-Info', 'Grouped'],
  [493, 'Service-Selection', 'UTF8String'],
];

/** [code, name, type, values?] for AVPs with the 3GPP vendor id 10415. */
const TGPP_AVPS: Array<[number, string, AvpType, Record<number, string>?]> = [
  [1, '3GPP-IMSI', 'UTF8String'],
  [2, '3GPP-Charging-Id', 'Unsigned32'],
  [3, '3GPP-PDP-Type', 'Enumerated'],
  [6, '3GPP-SGSN-Address', 'OctetString'],
  [7, '3GPP-GGSN-Address', 'OctetString'],
  [8, '3GPP-IMSI-MCC-MNC', 'UTF8String'],
  [9, '3GPP-GGSN-MCC-MNC', 'UTF8String'],
  [10, '3GPP-NSAPI', 'OctetString'],
  [12, '3GPP-Selection-Mode', 'UTF8String'],
  [13, '3GPP-Charging-Characteristics', 'UTF8String'],
  [18, '3GPP-SGSN-MCC-MNC', 'UTF8String'],
  [21, '3GPP-RAT-Type', 'OctetString'],
  [22, '3GPP-User-Location-Info', 'OctetString'],
  [23, '3GPP-MS-TimeZone', 'OctetString'],
  [501, 'Access-Network-Charging-Address', 'Address'],
  [507, 'Flow-Description', 'IPFilterRule'],
  [511, 'Flow-Status', 'Enumerated'],
  [515, 'Max-Requested-Bandwidth-DL', 'Unsigned32'],
  [516, 'Max-Requested-Bandwidth-UL', 'Unsigned32'],
  [600, 'Visited-Network-Identifier', 'OctetString'],
  [628, 'Supported-Features', 'Grouped'],
  [629, 'Feature-List-ID', 'Unsigned32'],
  [630, 'Feature-List', 'Unsigned32'],
  [701, 'MSISDN', 'OctetString'],
  [846, 'CG-Address', 'Address'],
  [847, 'GGSN-Address', 'Address'],
  [872, '3GPP-Reporting-Reason', 'Enumerated'],
  [873, 'Service-Information', 'Grouped'],
  [874, 'PS-Information', 'Grouped'],
  [1000, 'Bearer-Usage', 'Enumerated'],
  [1001, 'Charging-Rule-Install', 'Grouped'],
  [1002, 'Charging-Rule-Remove', 'Grouped'],
  [1003, 'Charging-Rule-Definition', 'Grouped'],
  [1004, 'Charging-Rule-Base-Name', 'UTF8String'],
  [1005, 'Charging-Rule-Name', 'OctetString'],
  [1006, 'Event-Trigger', 'Enumerated'],
  [1007, 'Metering-Method', 'Enumerated'],
  [1008, 'Offline', 'Enumerated'],
  [1009, 'Online', 'Enumerated'],
  [1010, 'Precedence', 'Unsigned32'],
  [1016, 'QoS-Information', 'Grouped'],
  [1023, 'Bearer-Control-Mode', 'Enumerated'],
  [1024, 'Network-Request-Support', 'Enumerated'],
  [1027, 'IP-CAN-Type', 'Enumerated'],
  [1028, 'QoS-Class-Identifier', 'Enumerated'],
  [1032, 'RAT-Type', 'Enumerated', RAT_TYPE],
  [1034, 'Allocation-Retention-Priority', 'Grouped'],
  [1040, 'APN-Aggregate-Max-Bitrate-DL', 'Unsigned32'],
  [1041, 'APN-Aggregate-Max-Bitrate-UL', 'Unsigned32'],
  [1046, 'Priority-Level', 'Unsigned32'],
  [1047, 'Pre-emption-Capability', 'Enumerated'],
  [1048, 'Pre-emption-Vulnerability', 'Enumerated'],
  [1049, 'Default-EPS-Bearer-QoS', 'Grouped'],
  [1050, 'AN-GW-Address', 'Address'],
  [1058, 'Flow-Information', 'Grouped'],
  [1080, 'Flow-Direction', 'Enumerated'],
  [1086, 'Redirect-Support', 'Enumerated'],
  [1227, 'PDP-Address', 'Address'],
  [1228, 'SGSN-Address', 'Address'],
  [1400, 'Subscription-Data', 'Grouped'],
  [1401, 'Terminal-Information', 'Grouped'],
  [1402, 'IMEI', 'UTF8String'],
  [1403, 'Software-Version', 'UTF8String'],
  [1405, 'ULR-Flags', 'Unsigned32'],
  [1406, 'ULA-Flags', 'Unsigned32'],
  [1407, 'Visited-PLMN-Id', 'OctetString'],
  [1408, 'Requested-EUTRAN-Authentication-Info', 'Grouped'],
  [1409, 'Requested-UTRAN-GERAN-Authentication-Info', 'Grouped'],
  [1410, 'Number-Of-Requested-Vectors', 'Unsigned32'],
  [1411, 'Re-Synchronization-Info', 'OctetString'],
  [1412, 'Immediate-Response-Preferred', 'Unsigned32'],
  [1413, 'Authentication-Info', 'Grouped'],
  [1414, 'E-UTRAN-Vector', 'Grouped'],
  [1415, 'UTRAN-Vector', 'Grouped'],
  [1416, 'GERAN-Vector', 'Grouped'],
  [1417, 'Network-Access-Mode', 'Enumerated'],
  [1418, 'HPLMN-ODB', 'Unsigned32'],
  [1419, 'Item-Number', 'Unsigned32'],
  [1420, 'Cancellation-Type', 'Enumerated'],
  [1423, 'Context-Identifier', 'Unsigned32'],
  [1424, 'Subscriber-Status', 'Enumerated'],
  [1425, 'Operator-Determined-Barring', 'Unsigned32'],
  [1426, 'Access-Restriction-Data', 'Unsigned32'],
  [1427, 'APN-OI-Replacement', 'UTF8String'],
  [1428, 'All-APN-Configurations-Included-Indicator', 'Enumerated'],
  [1429, 'APN-Configuration-Profile', 'Grouped'],
  [1430, 'APN-Configuration', 'Grouped'],
  [1431, 'EPS-Subscribed-QoS-Profile', 'Grouped'],
  [1432, 'VPLMN-Dynamic-Address-Allowed', 'Enumerated'],
  [1435, 'AMBR', 'Grouped'],
  [1438, 'PDN-GW-Allocation-Type', 'Enumerated'],
  [1439, 'Expiration-Date', 'Time'],
  [1441, 'IDA-Flags', 'Unsigned32'],
  [1442, 'PUA-Flags', 'Unsigned32'],
  [1443, 'NOR-Flags', 'Unsigned32'],
  [1446, 'Regional-Subscription-Zone-Code', 'OctetString'],
  [1447, 'RAND', 'OctetString'],
  [1448, 'XRES', 'OctetString'],
  [1449, 'AUTN', 'OctetString'],
  [1450, 'KASME', 'OctetString'],
  [1456, 'PDN-Type', 'Enumerated'],
  [1490, 'IDR-Flags', 'Unsigned32'],
  [1619, 'Subscribed-Periodic-RAU-TAU-Timer', 'Unsigned32'],
  [2020, 'Low-Balance-Indication', 'Enumerated'],
  [2021, 'Remaining-Balance', 'Grouped'],
];

function table(rows: Array<[number, string, AvpType, Record<number, string>?]>): Map<number, AvpDef> {
  return new Map(
    rows.map(([code, name, type, values]) => [code, values ? { name, type, values } : { name, type }]),
  );
}

const BASE = table(BASE_AVPS);
const TGPP = table(TGPP_AVPS);

export function lookupAvp(code: number, vendorId: number): AvpDef | undefined {
  if (vendorId === 0) return BASE.get(code);
  return vendorId === VENDOR_3GPP ? TGPP.get(code) : undefined;
}
