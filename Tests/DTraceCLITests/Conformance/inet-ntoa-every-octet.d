/*
 * inet_ntoa() of 256 addresses whose octets take every value 0-255 in each place:
 * each octet written as DTrace does (no leading zeros), in both engines.
 */
#pragma D option quiet
#pragma D option strsize=64
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 16712448; printf("%s\n", inet_ntoa(this->a));
	*this->a = 234752513; printf("%s\n", inet_ntoa(this->a));
	*this->a = 452792578; printf("%s\n", inet_ntoa(this->a));
	*this->a = 670832643; printf("%s\n", inet_ntoa(this->a));
	*this->a = 888872708; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1106912773; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1324952838; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1542992903; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1761032968; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1979073033; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2197113098; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2415153163; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2633193228; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2851233293; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3069273358; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3287313423; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 3505353488; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3723393553; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3941433618; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4159473683; printf("%s\n", inet_ntoa(this->a));
	*this->a = 82546452; printf("%s\n", inet_ntoa(this->a));
	*this->a = 300586517; printf("%s\n", inet_ntoa(this->a));
	*this->a = 518626582; printf("%s\n", inet_ntoa(this->a));
	*this->a = 736666647; printf("%s\n", inet_ntoa(this->a));
	*this->a = 954706712; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1172746777; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1390786842; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1608826907; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1826866972; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2044907037; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2262947102; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2480987167; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 2699027232; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2917067297; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3135107362; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3353147427; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3571187492; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3789162021; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4007202086; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4225242151; printf("%s\n", inet_ntoa(this->a));
	*this->a = 148314920; printf("%s\n", inet_ntoa(this->a));
	*this->a = 366354985; printf("%s\n", inet_ntoa(this->a));
	*this->a = 584395050; printf("%s\n", inet_ntoa(this->a));
	*this->a = 802435115; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1020475180; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1238515245; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1456555310; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1674595375; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 1892635440; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2110675505; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2328715570; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2546755635; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2764795700; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2982835765; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3200875830; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3418915895; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3636955960; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3854996025; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4073036090; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4291076155; printf("%s\n", inet_ntoa(this->a));
	*this->a = 214148924; printf("%s\n", inet_ntoa(this->a));
	*this->a = 432188989; printf("%s\n", inet_ntoa(this->a));
	*this->a = 650229054; printf("%s\n", inet_ntoa(this->a));
	*this->a = 868269119; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 1086309184; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1304349249; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1522389314; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1740429379; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1958469444; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2176509509; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2394549574; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2612589639; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2830629704; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3048604233; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3266644298; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3484684363; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3702724428; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3920764493; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4138804558; printf("%s\n", inet_ntoa(this->a));
	*this->a = 61877327; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 279917392; printf("%s\n", inet_ntoa(this->a));
	*this->a = 497957457; printf("%s\n", inet_ntoa(this->a));
	*this->a = 715997522; printf("%s\n", inet_ntoa(this->a));
	*this->a = 934037587; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1152077652; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1370117717; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1588157782; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1806197847; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2024237912; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2242277977; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2460318042; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2678358107; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2896398172; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3114438237; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3332478302; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3550518367; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 3768558432; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3986598497; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4204638562; printf("%s\n", inet_ntoa(this->a));
	*this->a = 127711331; printf("%s\n", inet_ntoa(this->a));
	*this->a = 345751396; printf("%s\n", inet_ntoa(this->a));
	*this->a = 563791461; printf("%s\n", inet_ntoa(this->a));
	*this->a = 781831526; printf("%s\n", inet_ntoa(this->a));
	*this->a = 999871591; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1217911656; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1435951721; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1653991786; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1872031851; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2090071916; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2308111981; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2526086510; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2744126575; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 2962166640; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3180206705; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3398246770; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3616286835; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3834326900; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4052366965; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4270407030; printf("%s\n", inet_ntoa(this->a));
	*this->a = 193479799; printf("%s\n", inet_ntoa(this->a));
	*this->a = 411519864; printf("%s\n", inet_ntoa(this->a));
	*this->a = 629559929; printf("%s\n", inet_ntoa(this->a));
	*this->a = 847599994; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1065640059; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1283680124; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1501720189; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1719760254; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1937800319; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 2155840384; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2373880449; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2591920514; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2809960579; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3028000644; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3246040709; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3464080774; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3682120839; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3900160904; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4118200969; printf("%s\n", inet_ntoa(this->a));
	*this->a = 41273738; printf("%s\n", inet_ntoa(this->a));
	*this->a = 259313803; printf("%s\n", inet_ntoa(this->a));
	*this->a = 477353868; printf("%s\n", inet_ntoa(this->a));
	*this->a = 695393933; printf("%s\n", inet_ntoa(this->a));
	*this->a = 913433998; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1131474063; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 1349514128; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1567554193; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1785528722; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2003568787; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2221608852; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2439648917; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2657688982; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2875729047; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3093769112; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3311809177; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3529849242; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3747889307; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3965929372; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4183969437; printf("%s\n", inet_ntoa(this->a));
	*this->a = 107042206; printf("%s\n", inet_ntoa(this->a));
	*this->a = 325082271; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 543122336; printf("%s\n", inet_ntoa(this->a));
	*this->a = 761162401; printf("%s\n", inet_ntoa(this->a));
	*this->a = 979202466; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1197242531; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1415282596; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1633322661; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1851362726; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2069402791; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2287442856; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2505482921; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2723522986; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2941563051; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3159603116; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3377643181; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3595683246; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3813723311; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 4031763376; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4249803441; printf("%s\n", inet_ntoa(this->a));
	*this->a = 172876210; printf("%s\n", inet_ntoa(this->a));
	*this->a = 390916275; printf("%s\n", inet_ntoa(this->a));
	*this->a = 608956340; printf("%s\n", inet_ntoa(this->a));
	*this->a = 826996405; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1045036470; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1263010999; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1481051064; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1699091129; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1917131194; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2135171259; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2353211324; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2571251389; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2789291454; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3007331519; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 3225371584; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3443411649; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3661451714; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3879491779; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4097531844; printf("%s\n", inet_ntoa(this->a));
	*this->a = 20604613; printf("%s\n", inet_ntoa(this->a));
	*this->a = 238644678; printf("%s\n", inet_ntoa(this->a));
	*this->a = 456684743; printf("%s\n", inet_ntoa(this->a));
	*this->a = 674724808; printf("%s\n", inet_ntoa(this->a));
	*this->a = 892764873; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1110804938; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1328845003; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1546885068; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1764925133; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1982965198; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2201005263; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 2419045328; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2637085393; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2855125458; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3073165523; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3291205588; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3509245653; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3727285718; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3945325783; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4163365848; printf("%s\n", inet_ntoa(this->a));
	*this->a = 86438617; printf("%s\n", inet_ntoa(this->a));
	*this->a = 304478682; printf("%s\n", inet_ntoa(this->a));
	*this->a = 522453211; printf("%s\n", inet_ntoa(this->a));
	*this->a = 740493276; printf("%s\n", inet_ntoa(this->a));
	*this->a = 958533341; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1176573406; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1394613471; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 1612653536; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1830693601; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2048733666; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2266773731; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2484813796; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2702853861; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2920893926; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3138933991; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3356974056; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3575014121; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3793054186; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4011094251; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4229134316; printf("%s\n", inet_ntoa(this->a));
	*this->a = 152207085; printf("%s\n", inet_ntoa(this->a));
	*this->a = 370247150; printf("%s\n", inet_ntoa(this->a));
	*this->a = 588287215; printf("%s\n", inet_ntoa(this->a));
}
BEGIN {
	this->a = (ipaddr_t *)alloca(4);
	*this->a = 806327280; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1024367345; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1242407410; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1460447475; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1678487540; printf("%s\n", inet_ntoa(this->a));
	*this->a = 1896527605; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2114567670; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2332607735; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2550647800; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2768687865; printf("%s\n", inet_ntoa(this->a));
	*this->a = 2986727930; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3204767995; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3422808060; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3640848125; printf("%s\n", inet_ntoa(this->a));
	*this->a = 3858888190; printf("%s\n", inet_ntoa(this->a));
	*this->a = 4076928255; printf("%s\n", inet_ntoa(this->a));
}
BEGIN { exit(0); }
